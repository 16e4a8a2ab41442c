#pragma once
// One process's rows of the batches of a data-parallel run. Every process draws the whole batch
// from the same source (same seed, same position), so the batches, and the position a checkpoint
// saves, are those of one process training on the whole batch, whatever the number of processes.
// Process r of n keeps rows [⌊rB/n⌋, ⌊(r+1)B/n⌋): ⌊B/n⌋ or ⌈B/n⌉ of them when n does not divide B.
#include <memory>
#include <utility>

#include "data/batch.h"

namespace sinklab::data {

class ShardedBatches : public BatchSource {
 public:
  // Fails when a process would get no row (batch_size < size).
  ShardedBatches(std::unique_ptr<BatchSource> whole, std::int64_t batch_size, int rank, int size);

  // The rows of this process, with share = its counted targets over the whole batch's.
  Batch next() override;
  LoaderState state() const override { return whole_->state(); }
  void set_state(const LoaderState& state) override { whole_->set_state(state); }

  // [first, end) rows of process `rank`.
  static std::pair<std::int64_t, std::int64_t> rows(std::int64_t batch_size, int rank, int size);

 private:
  std::unique_ptr<BatchSource> whole_;
  std::int64_t first_, end_;
};

}  // namespace sinklab::data
