#include "train/data_parallel.h"

#include <array>

#include "engine/error.h"

namespace sinklab::train {

DataParallel::DataParallel(std::vector<Tensor> params, const dist::ProcessGroup& group)
    : flat_(std::move(params)), group_(group) {}

void DataParallel::sync(StepResult& step) {
  flat_.gather();
  group_.sum(flat_.buffer());
  flat_.scatter();
  // Each process's loss is already weighted by its share of the batch, so the sum is the mean.
  std::array<double, 6> sums{step.loss,           step.needs_attention.sum, step.needs_attention.count,
                             step.no_attention.sum, step.no_attention.count,  step.share};
  group_.sum(sums);
  step.loss = sums[0];
  step.share = sums[5];
  step.needs_attention = {sums[1], sums[2]};
  step.no_attention = {sums[3], sums[4]};
}

void check_same_weights(const nn::Module& model, const dist::ProcessGroup& group, const std::string& when) {
  if (group.size() == 1) return;
  // A digest, not the weights: one number per process to compare. FNV-1a needs no library.
  std::uint64_t digest = 1469598103934665603ULL;
  for (const auto& [name, p] : model.named_parameters()) {
    const Tensor c = p.is_contiguous() ? p : p.clone();
    const auto* bytes = static_cast<const unsigned char*>(c.raw_data());
    for (std::size_t i = 0; i < static_cast<std::size_t>(c.numel()) * sizeof(float); ++i) {
      digest ^= bytes[i];
      digest *= 1099511628211ULL;
    }
  }
  if (!group.same(digest))
    fail("the {} processes hold different weights {} (process {} has digest {:016x}); their updates must be identical",
         group.size(), when, group.rank(), digest);
}

}  // namespace sinklab::train
