#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "cli/slurm_script.h"
#include "dist/process_group.h"

namespace sinklab::cli {

struct AblateOptions {
  std::filesystem::path file;
  std::filesystem::path runs_dir;
  int jobs = 1;
  std::int64_t stop_after = 0;       // passed to every run: checkpoint and stop after this step
  std::int64_t max_runs = 0;         // > 0: allow this many runs (default: train::default_max_runs)
  std::optional<std::string> shard;  // "K/N": only that share of the runs (cli/ablation_shard.h); none: all of them
  bool slurm = false;                // write a Slurm job array of the ablation (cli/slurm_script.h) instead of running it
  SlurmOptions slurm_options;
  // Under an MPI launcher (mpirun -np N sinklab ablate FILE): process r runs shard r/N, and once
  // every process has ended, process 0 makes the comparison.
  const dist::ProcessGroup* processes = nullptr;
};

// Runs every (variant, seed) of an ablation file as its own `sinklab train` process, `jobs` at a
// time with the cores divided among them; finished runs are skipped and interrupted ones resumed.
// Returns the exit code: 0 when every run finished, 130 when interrupted, 1 when a run failed.
//
// With a shard, the runs of that shard only, beside the other shards: the ablation's folder is
// locked shared (a plain ablate of it is refused while shards run, and the other way round), its
// run list is merged (train/ablation_list.h), and the comparison is left to whoever runs
// `sinklab compare` once every shard has ended (the Slurm dependent job): a shard cannot know that
// the others are done, and two comparisons at once would write the same files.
int run_ablation(const AblateOptions& options);

}  // namespace sinklab::cli
