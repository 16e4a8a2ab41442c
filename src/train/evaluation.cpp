#include "train/evaluation.h"

#include <array>

#include "engine/autograd.h"
#include "train/loss.h"

namespace sinklab::train {

EvalLoss evaluate(const nn::Transformer& model, const std::vector<data::Batch>& batches, const dist::ProcessGroup* group) {
  NoGradGuard no_grad;
  EvalLoss out;
  ClassLoss attn, free;
  const std::size_t first = group ? static_cast<std::size_t>(group->rank()) : 0, stride = group ? static_cast<std::size_t>(group->size()) : 1;
  for (std::size_t i = first; i < batches.size(); i += stride)
    out.loss += batch_loss(model, batches[i], attn, free).item() / static_cast<double>(batches.size());
  if (group) {
    std::array<double, 5> sums{out.loss, attn.sum, attn.count, free.sum, free.count};
    group->sum(sums);
    out.loss = sums[0], attn = {sums[1], sums[2]}, free = {sums[3], sums[4]};
  }
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
