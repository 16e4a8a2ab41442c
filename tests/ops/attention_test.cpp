#include "ops/attention.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ops/ops.h"
#include "support/gradcheck.h"

namespace sinklab::testing {
namespace {

using Inputs = std::vector<Tensor>;

TEST(Attention, Gradient) {
  Rng rng(111);
  for (bool strided : {false, true}) {
    const Shape shape{random_size(rng, 1, 2), random_size(rng, 1, 3), random_size(rng, 2, 7), random_size(rng, 2, 5)};
    Tensor q = random_input(shape, rng, strided), k = random_input(shape, rng), v = random_input(shape, rng, strided);
    expect_gradcheck("causal_attention", [](const Inputs& in) { return ops::causal_attention(in[0], in[1], in[2]).out; },
                     {q, k, v});
  }
}

// The fused op equals the composition of its parts: scores, causal mask, softmax, weighted sum.
TEST(Attention, MatchesComposedOps) {
  Rng rng(112);
  const std::int64_t B = 2, H = 3, T = 7, D = 4;
  Tensor q = randn({B, H, T, D}, rng, 1.0, DType::f64), k = randn({B, H, T, D}, rng, 1.0, DType::f64),
         v = randn({B, H, T, D}, rng, 1.0, DType::f64);
  std::vector<double> mask(T * T);
  for (std::int64_t i = 0; i < T; ++i)
    for (std::int64_t j = 0; j < T; ++j) mask[i * T + j] = j <= i ? 0.0 : -1e30;
  Tensor scores = ops::matmul(q, ops::transpose(k, -1, -2)) * (1.0 / std::sqrt(double(D))) + Tensor::from_vector(mask, {T, T});
  Tensor probs = ops::softmax(scores);
  Tensor expected = ops::matmul(probs, v);
  auto result = ops::causal_attention(q, k, v, {.return_probs = true});
  const auto got = result.out.to_vector<double>(), want = expected.to_vector<double>();
  for (std::size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-12);
  const auto p = result.probs.to_vector<double>(), pw = probs.to_vector<double>();
  ASSERT_EQ(result.probs.shape(), (Shape{B, H, T, T}));
  for (std::size_t i = 0; i < p.size(); ++i) ASSERT_NEAR(p[i], pw[i], 1e-12);
  EXPECT_FALSE(result.probs.requires_grad());
}

TEST(Attention, Fp32MatchesFp64) {
  Rng rng(113);
  Tensor q = randn({2, 2, 16, 8}, rng, 1.0, DType::f64), k = randn({2, 2, 16, 8}, rng, 1.0, DType::f64),
         v = randn({2, 2, 16, 8}, rng, 1.0, DType::f64);
  const auto want = ops::causal_attention(q, k, v).out.to_vector<double>();
  const auto got = ops::causal_attention(q.to(DType::f32), k.to(DType::f32), v.to(DType::f32)).out.to_vector<float>();
  for (std::size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-5);
  EXPECT_THROW(ops::causal_attention(q, k, Tensor::zeros({2, 2, 16, 4}, DType::f64)), Error);
}

}  // namespace
}  // namespace sinklab::testing
