#include "ops/rope.h"

#include <gtest/gtest.h>

#include <cmath>

#include "support/gradcheck.h"

namespace sinklab::testing {
namespace {

using Inputs = std::vector<Tensor>;

TEST(Rope, Gradient) {
  Rng rng(121);
  Tensor x = random_input({2, 2, random_size(rng, 1, 6), 2 * random_size(rng, 1, 4)}, rng, true);
  expect_gradcheck("rope", [](const Inputs& in) { return ops::rope(in[0], 3); }, {x});
}

TEST(Rope, RotatesPairsByPositionAngles) {
  // One head, T = 2, d = 4: channel i pairs with i + 2; frequencies 1 and 10000^(-1/2).
  Tensor x = Tensor::from_vector<double>({1, 0, 0, 0, 1, 0, 0, 0}, {2, 4});
  const auto y = ops::rope(x).to_vector<double>();
  EXPECT_NEAR(y[0], 1.0, 1e-15);  // position 0: unchanged
  EXPECT_NEAR(y[4], std::cos(1.0), 1e-15);
  EXPECT_NEAR(y[6], std::sin(1.0), 1e-15);
  const auto shifted = ops::rope(x, 5).to_vector<double>();
  EXPECT_NEAR(shifted[0], std::cos(5.0), 1e-15);
  EXPECT_THROW(ops::rope(Tensor::zeros({2, 3}, DType::f64)), Error);
}

// Rotations keep the dot product of q and k a function of their distance only.
TEST(Rope, DotProductDependsOnRelativePosition) {
  Rng rng(122);
  Tensor q = randn({1, 8}, rng, 1.0, DType::f64), k = randn({1, 8}, rng, 1.0, DType::f64);
  auto dot = [](const Tensor& a, const Tensor& b) {
    double s = 0;
    const auto va = a.to_vector<double>(), vb = b.to_vector<double>();
    for (std::size_t i = 0; i < va.size(); ++i) s += va[i] * vb[i];
    return s;
  };
  EXPECT_NEAR(dot(ops::rope(q, 7), ops::rope(k, 4)), dot(ops::rope(q, 13), ops::rope(k, 10)), 1e-12);
}

}  // namespace
}  // namespace sinklab::testing
