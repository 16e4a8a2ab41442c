#include "data/batch.h"

#include "engine/error.h"

namespace sinklab::data {

Tensor class_targets(const Batch& batch, bool want) {
  if (!batch.needs_attention.defined()) fail("class_targets: the batch has no query classes (not a synthetic task)");
  Tensor out = Tensor::empty(batch.targets.shape(), DType::i32);
  const auto* tg = batch.targets.data<std::int32_t>();
  const auto* na = batch.needs_attention.data<std::int32_t>();
  auto* o = out.data<std::int32_t>();
  for (std::int64_t i = 0; i < batch.targets.numel(); ++i) o[i] = (na[i] != 0) == want ? tg[i] : ignore_index;
  return out;
}

}  // namespace sinklab::data
