#include "data/shard.h"

#include <algorithm>

#include "engine/error.h"

namespace sinklab::data {
namespace {

Tensor rows_of(const Tensor& t, std::int64_t first, std::int64_t end) {
  if (!t.defined()) return t;
  const Tensor c = t.is_contiguous() ? t : t.clone();
  const std::int64_t width = c.shape()[1];
  Tensor out = Tensor::empty({end - first, width}, c.dtype());
  std::copy(c.data<std::int32_t>() + first * width, c.data<std::int32_t>() + end * width, out.data<std::int32_t>());
  return out;
}

std::int64_t counted(const Tensor& targets, std::int64_t first, std::int64_t end) {
  const std::int64_t width = targets.shape()[1];
  const std::int32_t* t = targets.data<std::int32_t>();
  return std::count_if(t + first * width, t + end * width, [](std::int32_t v) { return v != ignore_index; });
}

}  // namespace

std::pair<std::int64_t, std::int64_t> ShardedBatches::rows(std::int64_t batch_size, int rank, int size) {
  return {batch_size * rank / size, batch_size * (rank + 1) / size};
}

ShardedBatches::ShardedBatches(std::unique_ptr<BatchSource> whole, std::int64_t batch_size, int rank, int size)
    : whole_(std::move(whole)) {
  if (batch_size < size)
    fail("train.batch_size is {}, fewer sequences than the {} processes: each process needs at least one (the batch "
         "size is the global batch, split over the processes)",
         batch_size, size);
  std::tie(first_, end_) = rows(batch_size, rank, size);
}

Batch ShardedBatches::next() {
  const Batch whole = whole_->next();
  const Tensor targets = whole.targets.is_contiguous() ? whole.targets : whole.targets.clone();
  const std::int64_t all = counted(targets, 0, targets.shape()[0]);
  Batch mine{rows_of(whole.inputs, first_, end_), rows_of(targets, first_, end_), rows_of(whole.needs_attention, first_, end_)};
  mine.share = all > 0 ? static_cast<double>(counted(targets, first_, end_)) / static_cast<double>(all) : 0.0;
  return mine;
}

}  // namespace sinklab::data
