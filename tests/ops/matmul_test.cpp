#include "ops/matmul.h"

#include "ops/linear.h"

#include <gtest/gtest.h>

#include "ops/elementwise.h"
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

TEST(Linear, GradientWithAndWithoutBiasAndEqualsMatmulPlusBias) {
  Rng rng(52);
  const auto k = random_size(rng, 1, 6), n = random_size(rng, 1, 5);
  Tensor x = random_input({2, 3, k}, rng), w = random_input({n, k}, rng), b = random_input({n}, rng);
  expect_gradcheck("linear", [](const Inputs& in) { return ops::linear(in[0], in[1], in[2]); }, {x, w, b});
  expect_gradcheck("linear", [](const Inputs& in) { return ops::linear(in[0], in[1]); }, {x, w});
  Tensor xt = random_input({k, 4}, rng, true);  // a transposed input is copied, then multiplied
  expect_gradcheck("linear", [](const Inputs& in) { return ops::linear(ops::transpose(in[0], 0, 1), in[1], in[2]); },
                   {xt, w, b});
  const Tensor x32 = randn({5, 7}, rng), w32 = randn({3, 7}, rng), b32 = randn({3}, rng);
  const auto fused = ops::linear(x32, w32, b32).to_vector<float>();
  const auto split = (ops::matmul(x32, ops::transpose(w32, 0, 1)) + b32).to_vector<float>();
  ASSERT_EQ(fused.size(), split.size());
  for (std::size_t i = 0; i < fused.size(); ++i) EXPECT_NEAR(fused[i], split[i], 1e-5) << "oneDNN's bias";
}

TEST(Linear, ShapeErrorsNameTheShapes) {
  try {
    ops::linear(Tensor::zeros({2, 4}), Tensor::zeros({3, 5}));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("(2, 4)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ops::linear(Tensor::zeros({2, 4}), Tensor::zeros({3, 4}), Tensor::zeros({4})), Error);
}

TEST(Matmul, BatchShapeErrors) {
  EXPECT_THROW(ops::matmul(Tensor::zeros({2, 3, 4}), Tensor::zeros({3, 4, 5})), Error);
  EXPECT_THROW(ops::matmul(Tensor::zeros({4}), Tensor::zeros({4, 5})), Error);
}

}  // namespace
}  // namespace sinklab::testing
