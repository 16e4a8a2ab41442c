#pragma once
// How much memory a config will need, worked out from its sizes before anything is allocated, so
// that a config the machine cannot hold is refused with the estimate, the memory available and
// the keys that drive it (never a bare std::bad_alloc minutes into a run).
#include <cstdint>
#include <string>
#include <vector>

#include "train/train_config.h"

namespace sinklab::train {

struct MemoryPart {
  std::string what;  // with the config keys that drive it
  double bytes;
};

struct MemoryEstimate {
  std::vector<MemoryPart> parts;
  double total() const;
};

// The vocabulary a config's data gives the model (byte level 258, BPE data.vocab_size, ...).
std::int64_t vocab_size_of(const Config& config);

// Training: weights, gradients and optimizer state; the activations kept for one micro-batch's
// backward pass (attention keeps B·H·T row statistics per layer); the validation batches; the
// analysis probe. Sizes are in doubles, so absurd values cannot overflow the sum.
MemoryEstimate training_memory(const Config& config);
// What `local` processes of a data-parallel run of `processes` need together on one machine: a
// model and optimizer each, and the activations of their rows of the batch.
MemoryEstimate process_memory(const Config& config, int local, int processes);
// Importing a checkpoint of `vocab` tokens: its tensors as read, the model they fill, and the
// checkpoint file written from it (hf/import.h).
MemoryEstimate import_memory(const Config& config, std::int64_t vocab);
// Evaluating `batches` validation batches of a run.
MemoryEstimate evaluation_memory(const Config& config, std::int64_t batches);

// Throws when the estimate exceeds the memory available now, naming the largest parts.
// `what` says what is being refused ("training runs/x", "eval").
void check_memory(const MemoryEstimate& estimate, const std::string& what);

}  // namespace sinklab::train
