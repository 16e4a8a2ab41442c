#include "train/train_step.h"

#include <cmath>

#include "engine/autograd.h"
#include "ops/ops.h"
#include "optim/clip.h"

namespace sinklab::train {

StepResult train_step(const nn::Transformer& model, optim::Optimizer& optimizer, data::BatchSource& batches,
                      std::int64_t grad_accum, double clip, double lr, GradientSync& sync) {
  const auto params = model.parameters();
  const double micro_weight = 1.0 / static_cast<double>(grad_accum);
  StepResult r;
  for (std::int64_t micro = 0; micro < grad_accum; ++micro) {
    const data::Batch batch = batches.next();
    // Rows without a counted target add nothing (and their mean would be 0/0).
    if (batch.share == 0) continue;
    const Tensor l = batch_loss(model, batch, r.needs_attention, r.no_attention);
    const double weight = micro_weight * batch.share;
    r.share += weight;
    r.loss += l.item() * weight;
    backward(weight == 1 ? l : l * weight);
  }
  sync.sync(r);
  r.grad_norm = optim::clip_grad_norm(params, clip);
  // A non-finite loss or gradient stops before the update: the weights stay finite.
  r.updated = std::isfinite(r.loss) && std::isfinite(r.grad_norm) && r.share > 0;
  if (r.updated) optimizer.step(lr);
  optimizer.zero_grad();
  return r;
}

}  // namespace sinklab::train
