#include "ops/reduce.h"

#include <gtest/gtest.h>

#include "ops/shape_ops.h"
#include "support/gradcheck.h"

namespace sinklab::testing {
namespace {

using Inputs = std::vector<Tensor>;

TEST(Reduce, SumGradientOverAxisSets) {
  Rng rng(31);
  const std::vector<std::vector<std::int64_t>> axis_sets{{0}, {-1}, {1}, {0, 2}, {0, 1, 2}};
  for (std::size_t k = 0; k < axis_sets.size(); ++k) {
    const auto axes = axis_sets[k];
    Tensor x = random_input({random_size(rng, 1, 4), random_size(rng, 2, 4), random_size(rng, 1, 5)}, rng, k % 2 == 1);
    expect_gradcheck("sum", [axes](const Inputs& in) { return ops::sum(in[0], axes, false); }, {x});
    expect_gradcheck("sum", [axes](const Inputs& in) { return ops::sum(in[0], axes, true); }, {x});
  }
}

TEST(Reduce, MeanGradient) {
  Rng rng(32);
  Tensor x = random_input({3, 4, 2}, rng, true);
  expect_gradcheck("mean", [](const Inputs& in) { return ops::mean(in[0], {1}, false); }, {x});
  expect_gradcheck("mean", [](const Inputs& in) { return ops::mean(in[0]); }, {x});
}

TEST(Reduce, ForwardValues) {
  Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(ops::sum(x, {0}).to_vector<float>(), (std::vector<float>{5, 7, 9}));
  EXPECT_EQ(ops::sum(x, {1}).to_vector<float>(), (std::vector<float>{6, 15}));
  EXPECT_EQ(ops::sum(x, {1}, true).shape(), (Shape{2, 1}));
  EXPECT_EQ(ops::sum(ops::transpose(x, 0, 1), {0}).to_vector<float>(), (std::vector<float>{6, 15}));
  EXPECT_FLOAT_EQ(static_cast<float>(ops::mean(x).item()), 3.5f);
  EXPECT_EQ(ops::sum_to(x, {1, 3}).to_vector<float>(), (std::vector<float>{5, 7, 9}));
  EXPECT_THROW(ops::sum(x, {2}), Error);
  EXPECT_THROW(ops::sum(x, {0, 0}), Error);
}

TEST(Reduce, LargeSumsAreParallelAndCorrect) {
  Tensor x = Tensor::full({512, 1024}, 0.5);
  for (float v : ops::sum(x, {0}).to_vector<float>()) ASSERT_EQ(v, 256.0f);
  for (float v : ops::sum(x, {1}).to_vector<float>()) ASSERT_EQ(v, 512.0f);
}

}  // namespace
}  // namespace sinklab::testing
