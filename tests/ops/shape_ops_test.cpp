#include "ops/shape_ops.h"

#include <gtest/gtest.h>

#include "ops/elementwise.h"
#include "support/gradcheck.h"

namespace sinklab::testing {
namespace {

using Inputs = std::vector<Tensor>;

TEST(ShapeOps, ReshapeGradient) {
  Rng rng(41);
  for (bool strided : {false, true}) {
    Tensor x = random_input({2, 3, 4}, rng, strided);
    expect_gradcheck("reshape", [](const Inputs& in) { return ops::reshape(in[0], {4, -1}); }, {x});
  }
}

TEST(ShapeOps, PermuteAndTransposeGradient) {
  Rng rng(42);
  Tensor x = random_input({2, 3, 4}, rng, true);
  expect_gradcheck("permute", [](const Inputs& in) { return ops::permute(in[0], {2, 0, 1}); }, {x});
  expect_gradcheck("permute", [](const Inputs& in) { return ops::transpose(in[0], 0, -1); }, {x});
}

TEST(ShapeOps, SliceGradient) {
  Rng rng(43);
  Tensor x = random_input({3, 5, 2}, rng, true);
  expect_gradcheck("slice", [](const Inputs& in) { return ops::slice(in[0], 1, 1, 4); }, {x});
}

TEST(ShapeOps, ConcatGradient) {
  Rng rng(44);
  Tensor a = random_input({2, 3}, rng, true), b = random_input({2, 1}, rng), c = random_input({2, 2}, rng);
  expect_gradcheck("concat", [](const Inputs& in) { return ops::concat(in, 1); }, {a, b, c});
}

TEST(ShapeOps, ExpandAndContiguousGradient) {
  Rng rng(45);
  Tensor x = random_input({3, 1}, rng, true);
  expect_gradcheck("expand", [](const Inputs& in) { return ops::expand(in[0], {2, 3, 4}); }, {x});
  expect_gradcheck("contiguous", [](const Inputs& in) { return ops::contiguous(ops::transpose(in[0], 0, 1)); }, {x});
}

TEST(ShapeOps, ForwardValuesAndErrors) {
  Tensor a = Tensor::from_vector<float>({1, 2, 3, 4}, {2, 2}), b = Tensor::from_vector<float>({5, 6}, {2, 1});
  EXPECT_EQ(ops::concat({a, b}, 1).to_vector<float>(), (std::vector<float>{1, 2, 5, 3, 4, 6}));
  EXPECT_EQ(ops::concat({a, ops::transpose(b, 0, 1)}, 0).to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(ops::expand(b, {2, 3}).to_vector<float>(), (std::vector<float>{5, 5, 5, 6, 6, 6}));
  EXPECT_THROW(ops::slice(a, 0, 1, 3), Error);
  EXPECT_THROW(ops::permute(a, {0, 0}), Error);
  EXPECT_THROW(ops::concat({a, b}, 0), Error);
  EXPECT_THROW(ops::reshape(a, {-1, -1}), Error);
}

}  // namespace
}  // namespace sinklab::testing
