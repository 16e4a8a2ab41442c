#pragma once
// Validation: the fixed validation batches of a run, and the losses over them.
#include <optional>
#include <vector>

#include "data/dataset.h"
#include "dist/process_group.h"
#include "nn/transformer.h"
#include "train/train_config.h"

namespace sinklab::train {

struct EvalLoss {
  double loss = 0;  // mean over batches of each batch's mean loss
  // Synthetic tasks: the mean over the targets that need attention, and over those that do not.
  std::optional<double> needs_attention, no_attention;
};

// Losses over batches, without gradients. With a group of processes, each evaluates every n-th
// batch and the sums are shared: every process gets the result over all the batches.
EvalLoss evaluate(const nn::Transformer& model, const std::vector<data::Batch>& batches,
                  const dist::ProcessGroup* group = nullptr);

// The fixed validation batches of a run: drawn once from the validation split (or stream) by the
// run's seed.
std::vector<data::Batch> validation_batches(const Config& config, const data::PreparedData& data);

}  // namespace sinklab::train
