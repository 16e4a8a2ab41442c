#include "ops/norm.h"

#include <gtest/gtest.h>

#include <cmath>

#include "support/gradcheck.h"

namespace sinklab::testing {
namespace {

using Inputs = std::vector<Tensor>;

TEST(Norm, LayernormGradient) {
  Rng rng(81);
  for (bool strided : {false, true}) {
    const auto d = random_size(rng, 2, 8);
    Tensor x = random_input({random_size(rng, 1, 3), random_size(rng, 1, 4), d}, rng, strided);
    Tensor w = random_input({d}, rng), b = random_input({d}, rng, strided);
    expect_gradcheck("layernorm", [](const Inputs& in) { return ops::layernorm(in[0], in[1], in[2]); }, {x, w, b});
    expect_gradcheck("layernorm", [](const Inputs& in) { return ops::layernorm(in[0], Tensor(), Tensor()); }, {x});
  }
}

TEST(Norm, RmsnormGradient) {
  Rng rng(82);
  for (bool strided : {false, true}) {
    const auto d = random_size(rng, 2, 8);
    Tensor x = random_input({random_size(rng, 1, 5), d}, rng, strided);
    Tensor w = random_input({d}, rng, strided);
    expect_gradcheck("rmsnorm", [](const Inputs& in) { return ops::rmsnorm(in[0], in[1]); }, {x, w});
  }
}

TEST(Norm, ForwardValues) {
  Tensor x = Tensor::from_vector<double>({1, 2, 3, 4}, {1, 4});
  const auto ln = ops::layernorm(x, Tensor(), Tensor(), 0.0).to_vector<double>();
  const double sd = std::sqrt(1.25);
  EXPECT_NEAR(ln[0], -1.5 / sd, 1e-12);
  EXPECT_NEAR(ln[3], 1.5 / sd, 1e-12);
  Tensor w = Tensor::from_vector<double>({1, 1, 1, 2}, {4});
  const auto rms = ops::rmsnorm(x, w, 0.0).to_vector<double>();
  EXPECT_NEAR(rms[3], 2 * 4 / std::sqrt(7.5), 1e-12);
  EXPECT_THROW(ops::rmsnorm(x, Tensor::zeros({3}, DType::f64)), Error);
}

}  // namespace
}  // namespace sinklab::testing
