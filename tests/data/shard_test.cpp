#include "data/shard.h"

#include <gtest/gtest.h>

#include "engine/error.h"

namespace sinklab::testing {
namespace {

// Batches of 5 rows x 4 positions whose entries name their row; row 0 has one ignored target,
// row 3 has all of its targets ignored. The position advances with every batch.
struct Numbered : data::BatchSource {
  std::uint64_t drawn = 0;
  data::Batch next() override {
    std::vector<std::int32_t> ids, targets;
    for (int r = 0; r < 5; ++r)
      for (int t = 0; t < 4; ++t) {
        ids.push_back(static_cast<std::int32_t>(100 * drawn + r));
        targets.push_back((r == 0 && t == 0) || r == 3 ? data::ignore_index : r);
      }
    ++drawn;
    return {Tensor::from_vector(ids, {5, 4}), Tensor::from_vector(targets, {5, 4}), Tensor()};
  }
  data::LoaderState state() const override { return {drawn, 0, {}}; }
  void set_state(const data::LoaderState& s) override { drawn = s.epoch; }
};

TEST(ShardedBatches, ProcessesTakeDisjointRowsWhoseSharesAddToOne) {
  // 5 rows over 2 processes: 2 and 3. Counted targets: 3 + 4 | 4 + 0 + 4 of 15.
  data::ShardedBatches first(std::make_unique<Numbered>(), 5, 0, 2), second(std::make_unique<Numbered>(), 5, 1, 2);
  const data::Batch a = first.next(), b = second.next();
  EXPECT_EQ(a.inputs.to_vector<std::int32_t>(), (std::vector<std::int32_t>{0, 0, 0, 0, 1, 1, 1, 1}));
  EXPECT_EQ(b.inputs.shape(), (Shape{3, 4}));
  EXPECT_EQ(b.inputs.to_vector<std::int32_t>()[0], 2);
  EXPECT_DOUBLE_EQ(a.share, 7.0 / 15.0);
  EXPECT_DOUBLE_EQ(b.share, 8.0 / 15.0);
  // Every process draws the whole batch, so the saved position is the same on each.
  EXPECT_EQ(first.state().epoch, 1u);
  EXPECT_EQ(second.state().epoch, 1u);
  EXPECT_EQ(second.next().inputs.to_vector<std::int32_t>()[0], 102);
}

TEST(ShardedBatches, RowsWithoutCountedTargetsHaveShareZero) {
  // 5 rows over 5 processes: process 3 holds the row whose targets are all ignored.
  data::ShardedBatches third(std::make_unique<Numbered>(), 5, 3, 5);
  EXPECT_EQ(third.next().share, 0.0);
}

TEST(ShardedBatches, EveryRowBelongsToExactlyOneProcess) {
  for (int size = 1; size <= 7; ++size) {
    std::int64_t next = 0;
    for (int rank = 0; rank < size; ++rank) {
      const auto [first, end] = data::ShardedBatches::rows(7, rank, size);
      EXPECT_EQ(first, next);
      EXPECT_GE(end - first, 7 / size);
      EXPECT_LE(end - first, 7 / size + 1);
      next = end;
    }
    EXPECT_EQ(next, 7);
  }
}

TEST(ShardedBatches, RefusesMoreProcessesThanSequences) {
  try {
    data::ShardedBatches(std::make_unique<Numbered>(), 2, 0, 3);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("train.batch_size is 2, fewer sequences than the 3 processes"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sinklab::testing
