#include "train/loss.h"

#include "engine/autograd.h"
#include "ops/ops.h"

namespace sinklab::train {

Tensor batch_loss(const nn::Transformer& model, const data::Batch& batch, ClassLoss& attn, ClassLoss& free) {
  if (!batch.needs_attention.defined()) return model.loss(batch.inputs, batch.targets, data::ignore_index);
  const Tensor logits = model.forward(batch.inputs);
  attn.add(logits, data::class_targets(batch, true));
  free.add(logits, data::class_targets(batch, false));
  return ops::cross_entropy(logits, batch.targets, data::ignore_index);
}

void ClassLoss::add(const Tensor& logits, const Tensor& targets) {
  double n = 0;
  for (std::int32_t t : targets.to_vector<std::int32_t>()) n += t != data::ignore_index;
  if (n == 0) return;
  NoGradGuard no_grad;
  sum += ops::cross_entropy(logits, targets, data::ignore_index).item() * n;
  count += n;
}

std::optional<double> ClassLoss::mean() const { return count > 0 ? std::optional<double>(sum / count) : std::nullopt; }

}  // namespace sinklab::train
