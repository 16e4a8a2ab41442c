#pragma once
// `ablate --slurm`: an ablation as a Slurm job array, written into runs/<ablation>/slurm/ and not
// submitted. array.sbatch runs one shard per task (`ablate --shard $SLURM_ARRAY_TASK_ID/N`, N the
// number of runs: one run per task); compare.sbatch runs `sinklab compare` on the ablation once
// every task has ended; submit.sh submits both, the second depending on the first.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace sinklab::cli {

struct SlurmOptions {
  std::optional<std::string> partition;  // none: the cluster's default partition
  std::optional<std::string> time;       // none: the partition's default time limit
  int cpus_per_task = 2;
  int array_max = 0;      // > 0: at most this many tasks at a time (--array=0-(N-1)%M)
};

// Checks what goes into the scripts; errors name the flag and the value.
void check_slurm_options(const SlurmOptions& options);

struct SlurmJob {
  std::string ablation;                          // its name: a plain folder name, used as the job name
  std::int64_t runs = 0;                         // the array's size
  std::filesystem::path folder;                  // runs/<ablation>, absolute
  std::filesystem::path sinklab, file, runs_dir;  // absolute
  std::filesystem::path work_dir;                // where the tasks start: the folder ablate --slurm ran in
  std::vector<std::string> ablate_args;          // more arguments for every task's ablate (--max-runs N, ...)
  std::map<std::string, std::string> environment;  // pinned in the scripts (SINKLAB_DATA_DIR, ...)
};

// Writes folder/slurm/{array.sbatch, compare.sbatch, submit.sh} and prints how to submit them.
void write_slurm_job(const SlurmJob& job, const SlurmOptions& options, std::ostream& out);

}  // namespace sinklab::cli
