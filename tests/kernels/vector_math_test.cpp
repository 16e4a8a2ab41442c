// The vectorised transcendental loops against the scalar formulas they replace.
#include "kernels/vector_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "engine/rng.h"
#include "ops/ops.h"

namespace sinklab::kernels {
namespace {

std::vector<float> samples(std::int64_t n, double scale) {
  Rng rng(5);
  std::vector<float> x(static_cast<std::size_t>(n));
  for (auto& v : x) v = static_cast<float>(rng.normal() * scale);
  return x;
}

double gelu_ref(double v) { return 0.5 * v * (1 + std::tanh(0.7978845608028654 * (v + 0.044715 * v * v * v))); }

TEST(VectorMath, GeluAndItsDerivativeMatchTheScalarFormula) {
  const auto x = samples(10007, 3.0);  // not a multiple of any packet or chunk size
  const auto g = samples(10007, 1.0);
  std::vector<float> y(x.size()), gx(x.size());
  gelu_tanh(x.data(), y.data(), static_cast<std::int64_t>(x.size()));
  gelu_tanh_backward(g.data(), x.data(), gx.data(), static_cast<std::int64_t>(x.size()));
  for (std::size_t i = 0; i < x.size(); ++i) {
    EXPECT_NEAR(y[i], gelu_ref(x[i]), 2e-6 * (1 + std::abs(x[i]))) << x[i];
    const double h = 1e-4, d = (gelu_ref(x[i] + h) - gelu_ref(x[i] - h)) / (2 * h);
    EXPECT_NEAR(gx[i], g[i] * d, 1e-5 * (1 + std::abs(g[i]))) << x[i];
  }
}

TEST(VectorMath, SiluAndSigmoidMatchTheScalarFormulas) {
  const auto x = samples(5003, 6.0);
  const auto g = samples(5003, 1.0);
  const auto n = static_cast<std::int64_t>(x.size());
  std::vector<float> y(x.size()), gy(x.size()), s(x.size()), gs(x.size());
  silu(x.data(), y.data(), n);
  silu_backward(g.data(), x.data(), gy.data(), n);
  sigmoid(x.data(), s.data(), n);
  sigmoid_backward(g.data(), x.data(), gs.data(), n);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double v = x[i], sig = 1 / (1 + std::exp(-v));
    EXPECT_NEAR(s[i], sig, 1e-6) << v;
    EXPECT_NEAR(y[i], v * sig, 2e-6 * (1 + std::abs(v))) << v;
    EXPECT_NEAR(gs[i], g[i] * sig * (1 - sig), 1e-6 * (1 + std::abs(g[i]))) << v;
    EXPECT_NEAR(gy[i], g[i] * sig * (1 + v * (1 - sig)), 2e-6 * (1 + std::abs(g[i] * v))) << v;
  }
}

TEST(VectorMath, ExpRowsMatchStdExp) {
  const auto x = samples(4099, 4.0);
  const auto n = static_cast<std::int64_t>(x.size());
  const float m = max_of(x.data(), n);
  double sum = 0, biggest = -1e30;
  for (float v : x) sum += std::exp(double(v) - m), biggest = std::max<double>(biggest, v);
  EXPECT_EQ(m, biggest);
  EXPECT_NEAR(log_sum_exp(x.data(), m, n), std::log(sum) + m, 1e-5);
  std::vector<float> y = x;
  EXPECT_NEAR(exp_shifted(y.data(), m, y.data(), n), sum, 1e-5 * sum) << "in place";
  std::vector<float> z(x.size());
  scaled_exp(x.data(), m, 0.5f, z.data(), n);
  for (std::size_t i = 0; i < x.size(); ++i) {
    EXPECT_NEAR(y[i], std::exp(double(x[i]) - m), 2e-7);
    EXPECT_NEAR(z[i], 0.5 * std::exp(double(x[i]) - m), 1e-7);
  }
}

TEST(VectorMath, GeluOfAViewEqualsGeluOfItsCopy) {
  Rng rng(3);
  const Tensor x = randn({6, 5}, rng);
  const Tensor view = ops::transpose(x, 0, 1);  // takes the strided path
  EXPECT_FALSE(view.is_contiguous());
  const auto a = ops::gelu(view).to_vector<float>(), b = ops::gelu(view.clone()).to_vector<float>();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-6);
}

}  // namespace
}  // namespace sinklab::kernels
