#include "ops/matmul.h"

#include <gtest/gtest.h>

#include "ops/shape_ops.h"
#include "support/gradcheck.h"

namespace sinklab::testing {
namespace {

using Inputs = std::vector<Tensor>;

TEST(Matmul, GradientPlainTransposedBatchedAndShared) {
  Rng rng(51);
  const auto m = random_size(rng, 1, 5), k = random_size(rng, 1, 6), n = random_size(rng, 1, 4);
  Tensor a = random_input({m, k}, rng), b = random_input({k, n}, rng);
  expect_gradcheck("matmul", [](const Inputs& in) { return ops::matmul(in[0], in[1]); }, {a, b});
  Tensor bt = random_input({n, k}, rng, true);  // NT, as linear layers use it
  expect_gradcheck("matmul", [](const Inputs& in) { return ops::matmul(in[0], ops::transpose(in[1], 0, 1)); }, {a, bt});
  Tensor x = random_input({2, 3, m, k}, rng, true), y = random_input({2, 3, k, n}, rng);
  expect_gradcheck("matmul", [](const Inputs& in) { return ops::matmul(in[0], in[1]); }, {x, y});
  expect_gradcheck("matmul", [](const Inputs& in) { return ops::matmul(in[0], in[1]); }, {x, b});  // shared weight
  expect_gradcheck("matmul", [](const Inputs& in) { return ops::matmul(in[0], in[1]); }, {a, y});  // shared left
}

TEST(Matmul, BatchShapeErrors) {
  EXPECT_THROW(ops::matmul(Tensor::zeros({2, 3, 4}), Tensor::zeros({3, 4, 5})), Error);
  EXPECT_THROW(ops::matmul(Tensor::zeros({4}), Tensor::zeros({4, 5})), Error);
}

}  // namespace
}  // namespace sinklab::testing
