#pragma once
// runs/<ablation>/ablation.json: every run of an ablation with its outcome, in the order of the
// ablation file. The shards of one ablation (`ablate --shard K/N`, e.g. the tasks of a Slurm job
// array) update it side by side, each for its own runs: an update reads the file under a lock,
// replaces the entries of its runs, keeps the others' and writes it back atomically, so no
// shard's outcomes are lost to another's write.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "train/ablation.h"

namespace sinklab::train {

// The lock file of those updates, beside the list.
inline constexpr const char* ablation_list_lock = ".ablation.json.lock";

struct RunOutcome {
  std::string status = "pending";  // pending | skipped | finished | stopped | interrupted | failed
  double minutes = 0;
  std::int64_t step = 0;
  double loss = 0, val_loss = 0;
};

// Writes root/ablation.json for every run of `ab`: outcomes[i] for the runs with mine[i] set; for
// the others what the file said of a run of that name, or pending when it said nothing.
void update_ablation_list(const std::filesystem::path& root, const Ablation& ab, const std::vector<RunOutcome>& outcomes,
                          const std::vector<bool>& mine);

}  // namespace sinklab::train
