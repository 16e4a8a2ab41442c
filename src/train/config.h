#pragma once
// YAML configs: `extends:` a base file plus overrides, `--set key=value` on top. Each section's
// keys and rules are declared beside the struct they fill (data/data_config, nn/model_config,
// optim/optim_config, train/loop_config, analysis/analysis_config); this reads files into them.
// Errors name the file, the line and the key.
#include <filesystem>
#include <string>
#include <vector>

#include "train/train_config.h"

namespace sinklab::train {

// overrides: "dotted.key=value", applied after the files, in order. An empty `file` starts from
// the defaults.
Config load_config(const std::filesystem::path& file, const std::vector<std::string>& overrides = {});

// Every key with its value (defaults included), as YAML that load_config reads back.
std::string resolved_yaml(const Config& config);

// The dotted keys the sections declare, with their docs, in resolved-config order.
std::vector<std::pair<std::string, std::string>> config_keys();

// configs/README.md's key table: every key, its default and its doc (`sinklab config keys`).
std::string keys_markdown();

}  // namespace sinklab::train
