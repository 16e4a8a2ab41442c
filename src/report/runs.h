#pragma once
// The runs a comparison reads: from run folders or ablation folders, grouped by variant (runs
// named <variant>-s<seed> are seeds of one variant). Runs without analysis are reported and skipped.
// Every record is checked against the layouts the analysis fields declare before it is used.
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sinklab::report {

struct RunData {
  std::string name, variant;
  std::filesystem::path dir;
  std::vector<nlohmann::json> analysis;                  // analysis.jsonl records
  std::vector<std::pair<std::int64_t, double>> val_loss;  // (step, val_loss) from metrics.jsonl
  std::vector<std::pair<std::int64_t, std::int64_t>> step_tokens;  // step -> tokens
  nlohmann::json last_metrics;  // the newest metrics.jsonl record with a val_loss (null if none)
};

struct Variant {
  std::string name;
  std::vector<RunData> runs;  // its seeds
};

struct Collection {
  std::vector<Variant> variants;  // in the order met
  std::vector<std::string> skipped;  // "<run>: <why>"
  std::string ablation;           // the ablation's name when one folder was given
};

Collection collect_runs(const std::vector<std::filesystem::path>& inputs);

// A run's resolved config as dotted key -> value text.
std::map<std::string, std::string> flat_config(const std::filesystem::path& run_dir);


}  // namespace sinklab::report
