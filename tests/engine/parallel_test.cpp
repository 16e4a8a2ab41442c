#include "engine/parallel.h"

#include <gtest/gtest.h>

#include "engine/rng.h"
#include "ops/ops.h"

namespace sinklab {
namespace {

// One training-like step (forward and backward through norm, matmul, attention, loss).
std::vector<float> step_gradient(int threads) {
  set_num_threads(threads);
  Rng rng(9);
  Tensor x = randn({8, 64, 96}, rng), w = randn({96, 96}, rng, 0.1), g = randn({96}, rng);
  w.set_requires_grad();
  g.set_requires_grad();
  Tensor h = ops::matmul(ops::layernorm(x, g, Tensor()), w);
  Tensor q = ops::reshape(h, {8, 2, 64, 48});
  Tensor y = ops::causal_attention(q, q, q).out;
  backward(ops::mean(ops::mul(y, y)));
  auto out = w.grad().to_vector<float>();
  const auto gg = g.grad().to_vector<float>();
  out.insert(out.end(), gg.begin(), gg.end());
  return out;
}

TEST(Parallel, ThreadCountIsSettableAndRunsAreReproducible) {
  const int original = num_threads();
  EXPECT_THROW(set_num_threads(0), Error);
  const auto two_a = step_gradient(2), two_b = step_gradient(2), one = step_gradient(1);
  EXPECT_EQ(num_threads(), 1);
  set_num_threads(original);
  EXPECT_EQ(two_a, two_b);  // bit-identical at a fixed thread count
  ASSERT_EQ(one.size(), two_a.size());
  for (std::size_t i = 0; i < one.size(); ++i) ASSERT_NEAR(one[i], two_a[i], 1e-4 * (1 + std::abs(one[i])));
}

}  // namespace
}  // namespace sinklab
