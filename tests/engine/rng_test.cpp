#include "engine/rng.h"

#include <gtest/gtest.h>

#include <cmath>

namespace sinklab {
namespace {

TEST(Rng, SameSeedSameStreamDifferentSeedDifferentStream) {
  Rng a(7), b(7), c(8);
  for (int i = 0; i < 100; ++i) {
    const auto va = a.next_u64();
    EXPECT_EQ(va, b.next_u64());
    EXPECT_NE(va, c.next_u64());
  }
}

TEST(Rng, SavedStateResumesExactly) {
  Rng a(42);
  for (int i = 0; i < 10; ++i) a.normal();
  const auto state = a.state();
  std::vector<double> expected;
  for (int i = 0; i < 10; ++i) expected.push_back(a.normal());
  Rng b(0);
  b.set_state(state);
  for (double e : expected) EXPECT_EQ(b.normal(), e);
}

TEST(Rng, NormalAndUniformHaveTheRightMoments) {
  Rng rng(3);
  const int n = 200000;
  double s = 0, s2 = 0, u = 0;
  for (int i = 0; i < n; ++i) {
    const double x = rng.normal();
    s += x;
    s2 += x * x;
    const double v = rng.uniform();
    ASSERT_TRUE(v >= 0.0 && v < 1.0);
    u += v;
  }
  EXPECT_NEAR(s / n, 0.0, 0.01);
  EXPECT_NEAR(s2 / n, 1.0, 0.01);
  EXPECT_NEAR(u / n, 0.5, 0.005);
  for (int i = 0; i < 1000; ++i) EXPECT_LT(rng.below(5), 5u);
}

TEST(Rng, RandnFillsWithTheRequestedSpread) {
  Rng rng(5);
  Tensor t = randn({100, 100}, rng, 0.02);
  double s2 = 0;
  for (float v : t.to_vector<float>()) s2 += double(v) * v;
  EXPECT_NEAR(std::sqrt(s2 / 10000), 0.02, 0.001);
}

}  // namespace
}  // namespace sinklab
