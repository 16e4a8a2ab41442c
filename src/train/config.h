#pragma once
// YAML configs: `extends:` a base file plus overrides, `--set key=value` on top, every key
// checked against one schema (config.cpp). Errors name the file, the line and the key.
#include <filesystem>
#include <string>
#include <vector>

#include "train/train_config.h"

namespace sinklab::train {

// overrides: "dotted.key=value", applied after the files, in order.
Config load_config(const std::filesystem::path& file, const std::vector<std::string>& overrides = {});

// Every key with its value (defaults included), as YAML that load_config reads back.
std::string resolved_yaml(const Config& config);

// The dotted keys the schema knows, with one-line docs (for `sinklab config keys` and the docs test).
std::vector<std::pair<std::string, std::string>> config_keys();

}  // namespace sinklab::train
