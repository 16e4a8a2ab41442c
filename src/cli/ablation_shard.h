#pragma once
// `ablate --shard K/N`: one of N shares of an ablation's runs, for N processes (the tasks of a
// Slurm job array) that run one ablation side by side. K counts from 0, as $SLURM_ARRAY_TASK_ID
// does over `--array=0-(N-1)`. Shares go round robin over the run list in the order of the
// ablation file (run i to shard i % N): the runs of a slow variant spread over the shards.
#include <cstddef>
#include <cstdint>
#include <string>

namespace sinklab::cli {

struct Shard {
  std::int64_t index = 0, count = 1;
  bool has(std::size_t run) const { return static_cast<std::int64_t>(run % static_cast<std::size_t>(count)) == index; }
};

// "K/N" with whole numbers 0 <= K < N; anything else is an error naming --shard and the value.
Shard parse_shard(const std::string& text);

}  // namespace sinklab::cli
