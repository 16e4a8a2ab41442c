#pragma once
// One optimizer step, apart from the training loop's I/O: forward and backward over the
// micro-batches, gradient sync, clip, update. The sync is the seam for data-parallel training:
// with more than one process, the gradients are summed there, in one collective call over a flat
// buffer (train/data_parallel.h); a single process has nothing to sync.
#include <vector>

#include "data/batch.h"
#include "nn/transformer.h"
#include "optim/optimizer.h"
#include "train/loss.h"

namespace sinklab::train {

struct StepResult {
  double loss = 0;       // the mean over the micro-batches
  double grad_norm = 0;  // before clipping
  ClassLoss needs_attention, no_attention;  // synthetic tasks
  // This process's part of the batch's counted targets (data/shard.h); after the sync 1, or 0 when
  // the whole batch had none (then nothing is learnt, as a single process's 0/0 loss would say).
  double share = 0;
  bool updated = false;  // false when the loss or the gradient norm was not finite: the weights are as they were
};

class GradientSync {
 public:
  virtual ~GradientSync() = default;
  // Called once per step, after backward and before clipping: leaves every parameter's gradient,
  // and the step's loss and class losses, those of the whole batch on every process.
  virtual void sync(StepResult& step) = 0;
};

// One process: its gradients are already the whole batch's.
class LocalGradients : public GradientSync {
 public:
  void sync(StepResult&) override {}
};

// Draws `grad_accum` micro-batches from `batches`, accumulates their gradients (each weighted
// 1/grad_accum, times the batch's share when it is one process's rows), syncs them, clips their
// global norm to `clip` (0: off) and, when the loss and the norm are finite, applies the optimizer at
// learning rate `lr`. Gradients are cleared for the next step.
StepResult train_step(const nn::Transformer& model, optim::Optimizer& optimizer, data::BatchSource& batches,
                      std::int64_t grad_accum, double clip, double lr, GradientSync& sync);

}  // namespace sinklab::train
