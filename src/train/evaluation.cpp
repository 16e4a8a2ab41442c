#include "train/evaluation.h"

#include "engine/autograd.h"
#include "train/loss.h"

namespace sinklab::train {

EvalLoss evaluate(const nn::Transformer& model, const std::vector<data::Batch>& batches) {
  NoGradGuard no_grad;
  EvalLoss out;
  ClassLoss attn, free;
  for (const auto& b : batches) out.loss += batch_loss(model, b, attn, free).item() / static_cast<double>(batches.size());
  out.needs_attention = attn.mean();
  out.no_attention = free.mean();
  return out;
}

std::vector<data::Batch> validation_batches(const Config& c, const data::PreparedData& data) {
  // A seed of its own, so the validation set does not move when training settings change.
  const auto source = data::open_batches(c.data, data, data::Split::valid, c.data.context, c.train.batch_size, c.seed + 0x5EED);
  std::vector<data::Batch> batches;
  for (std::int64_t i = 0; i < c.train.eval_batches; ++i) batches.push_back(source->next());
  return batches;
}

}  // namespace sinklab::train
