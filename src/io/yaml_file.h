#pragma once
// YAML as sinklab reads it: one document, no duplicate keys, no anchors or aliases (a few lines
// of aliases can expand into gigabytes), from a regular file of modest size. Errors name the file
// and the line.
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>

namespace sinklab::io {

// Largest YAML file sinklab reads (configs and ablation files are a few kB).
inline constexpr std::uintmax_t max_yaml_bytes = 1 << 20;

// `what` names the kind of file in errors ("config file", "ablation file").
YAML::Node read_yaml_file(const std::filesystem::path& file, const std::string& what);

// The same checks on text that did not come from a file; `origin` prefixes errors ("--set x=y").
YAML::Node parse_yaml(const std::string& text, const std::string& origin);

}  // namespace sinklab::io
