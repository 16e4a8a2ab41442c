#include "ops/activation.h"

#include <gtest/gtest.h>

#include <cmath>

#include "support/gradcheck.h"

namespace sinklab::testing {
namespace {

using Inputs = std::vector<Tensor>;

TEST(Activation, Gradients) {
  Rng rng(61);
  Tensor x = random_input({random_size(rng, 2, 5), random_size(rng, 2, 7)}, rng, true, 2.0);
  expect_gradcheck("gelu", [](const Inputs& in) { return ops::gelu(in[0]); }, {x});
  expect_gradcheck("silu", [](const Inputs& in) { return ops::silu(in[0]); }, {x});
  expect_gradcheck("sigmoid", [](const Inputs& in) { return ops::sigmoid(in[0]); }, {x});
}

TEST(Activation, ForwardValues) {
  Tensor x = Tensor::from_vector<double>({-1.0, 0.0, 1.0, 3.0}, {4});
  const auto g = ops::gelu(x).to_vector<double>();
  // torch.nn.functional.gelu(x, approximate="tanh")
  EXPECT_NEAR(g[0], -0.15880800939172324, 1e-12);
  EXPECT_NEAR(g[2], 0.8411919906082768, 1e-12);
  EXPECT_NEAR(g[3], 2.996362607918227, 1e-12);
  const auto s = ops::silu(x).to_vector<double>();
  EXPECT_NEAR(s[2], 1.0 / (1.0 + std::exp(-1.0)), 1e-15);
  EXPECT_NEAR(ops::sigmoid(x).to_vector<double>()[1], 0.5, 1e-15);
}

}  // namespace
}  // namespace sinklab::testing
