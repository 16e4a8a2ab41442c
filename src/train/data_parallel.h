#pragma once
// Data-parallel training: every process holds the whole model and optimizer, trains on its rows
// of each batch (data/shard.h), and after backward the gradients are summed over the processes
// in one allreduce of a flat buffer, so every process applies the same update.
#include <vector>

#include "dist/process_group.h"
#include "nn/module.h"
#include "optim/flat_gradients.h"
#include "train/train_step.h"

namespace sinklab::train {

class DataParallel : public GradientSync {
 public:
  DataParallel(std::vector<Tensor> params, const dist::ProcessGroup& group);
  // The gradients in one allreduce; the step's loss sums in a second, small one.
  void sync(StepResult& step) override;

 private:
  optim::FlatGradients flat_;
  const dist::ProcessGroup& group_;
};

// Fails, naming `when`, unless every process holds the same weights (a digest of their bytes):
// processes that drifted apart would otherwise train different models unnoticed.
void check_same_weights(const nn::Module& model, const dist::ProcessGroup& group, const std::string& when);

}  // namespace sinklab::train
