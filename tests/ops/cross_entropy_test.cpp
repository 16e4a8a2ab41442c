#include "ops/cross_entropy.h"

#include <gtest/gtest.h>

#include <cmath>

#include "support/gradcheck.h"

namespace sinklab::testing {
namespace {

using Inputs = std::vector<Tensor>;

TEST(CrossEntropy, GradientWithIgnoredTargets) {
  Rng rng(101);
  Tensor logits = random_input({2, 3, 5}, rng, true, 2.0);
  Tensor targets = Tensor::from_vector<std::int32_t>({4, -100, 0, 2, 2, -100}, {2, 3});
  expect_gradcheck("cross_entropy", [](const Inputs& in) { return ops::cross_entropy(in[0], in[1]); }, {logits, targets});
}

TEST(CrossEntropy, ForwardMatchesLogSoftmax) {
  Tensor logits = Tensor::from_vector<double>({1, 2, 3, 1000, 0, 0}, {2, 3});
  Tensor targets = Tensor::from_vector<std::int32_t>({2, 1}, {2});
  const double l0 = -(3 - std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)));
  const double l1 = 1000.0;  // log-sum-exp is ~1000, the target logit is 0
  EXPECT_NEAR(ops::cross_entropy(logits, targets).item(), (l0 + l1) / 2, 1e-9);
  Tensor ignored = Tensor::from_vector<std::int32_t>({-100, -100}, {2});
  EXPECT_EQ(ops::cross_entropy(logits, ignored).item(), 0.0);
  EXPECT_THROW(ops::cross_entropy(logits, Tensor::from_vector<std::int32_t>({3, 0}, {2})), Error);
}

}  // namespace
}  // namespace sinklab::testing
