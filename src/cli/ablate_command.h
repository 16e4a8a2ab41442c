#pragma once
#include <cstdint>
#include <filesystem>

namespace sinklab::cli {

struct AblateOptions {
  std::filesystem::path file;
  std::filesystem::path runs_dir;
  int jobs = 1;
  std::int64_t stop_after = 0;  // passed to every run: checkpoint and stop after this step
  std::int64_t max_runs = 0;    // > 0: allow this many runs (default: train::default_max_runs)
};

// Runs every (variant, seed) of an ablation file as its own `sinklab train` process, `jobs` at a
// time with the cores divided among them; finished runs are skipped and interrupted ones resumed.
// Returns the exit code: 0 when every run finished, 130 when interrupted, 1 when a run failed.
int run_ablation(const AblateOptions& options);

}  // namespace sinklab::cli
