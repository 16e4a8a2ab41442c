#include "ops/softmax.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ops/shape_ops.h"
#include "support/gradcheck.h"

namespace sinklab::testing {
namespace {

using Inputs = std::vector<Tensor>;

TEST(Softmax, Gradient) {
  Rng rng(71);
  for (bool strided : {false, true}) {
    Tensor x = random_input({random_size(rng, 1, 3), random_size(rng, 2, 4), random_size(rng, 2, 6)}, rng, strided);
    expect_gradcheck("softmax", [](const Inputs& in) { return ops::softmax(in[0]); }, {x});
  }
}

TEST(Softmax, ForwardIsStableAndNormalised) {
  Tensor x = Tensor::from_vector<float>({1000, 1001, 1002, 0, 0, 0}, {2, 3});
  const auto y = ops::softmax(x).to_vector<float>();
  const double e = std::exp(1.0), z = 1 + e + e * e;
  EXPECT_NEAR(y[0], 1 / z, 1e-6);
  EXPECT_NEAR(y[2], e * e / z, 1e-6);
  EXPECT_NEAR(y[4], 1.0 / 3, 1e-6);
}

}  // namespace
}  // namespace sinklab::testing
