// The vectorised transcendental loops against the scalar formulas they replace, in every
// instruction-set build this CPU can run.
#include "kernels/vector_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <ostream>
#include <string>
#include <vector>

#include "engine/rng.h"
#include "kernels/vector_isa.h"
#include "ops/ops.h"

namespace sinklab::kernels {

void PrintTo(Isa isa, std::ostream* os) { *os << isa_name(isa); }

namespace {

std::vector<float> samples(std::int64_t n, double scale) {
  Rng rng(5);
  std::vector<float> x(static_cast<std::size_t>(n));
  for (auto& v : x) v = static_cast<float>(rng.normal() * scale);
  return x;
}

// Runs the test body with the kernels of one instruction set, then puts the best one back.
class VectorMath : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (!use_isa(GetParam())) GTEST_SKIP() << "this CPU cannot run " << isa_name(GetParam());
  }
  void TearDown() override { use_isa(best); }
  const Isa best = current_isa();
};

INSTANTIATE_TEST_SUITE_P(Isa, VectorMath, ::testing::Values(Isa::baseline, Isa::avx2, Isa::avx512),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

double gelu_ref(double v) { return 0.5 * v * (1 + std::tanh(0.7978845608028654 * (v + 0.044715 * v * v * v))); }

TEST_P(VectorMath, GeluAndItsDerivativeMatchTheScalarFormula) {
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

TEST_P(VectorMath, SiluAndSigmoidMatchTheScalarFormulas) {
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

TEST_P(VectorMath, ExpRowsMatchStdExp) {
  const auto x = samples(4099, 4.0);
  const auto n = static_cast<std::int64_t>(x.size());
  const float m = max_of(x.data(), n);
  double sum = 0, biggest = -1e30;
  for (float v : x) sum += std::exp(double(v) - m), biggest = std::max<double>(biggest, v);
  EXPECT_EQ(m, biggest);
  EXPECT_NEAR(log_sum_exp(x.data(), m, n), std::log(sum) + m, 1e-5);
  std::vector<float> y = x;
  EXPECT_NEAR(exp_shifted(y.data(), m, y.data(), n), sum, 1e-5 * sum) << "in place";
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(y[i], std::exp(double(x[i]) - m), 2e-7);
  for (const float in_scale : {0.5f, -0.5f}) {  // out = 0.25 softmax(in_scale x), in place and not
    double s = 0, top = -1e30;
    for (float v : x) top = std::max(top, double(in_scale) * v);
    for (float v : x) s += std::exp(in_scale * double(v) - top);
    std::vector<float> z(x.size()), w = x;
    EXPECT_NEAR(softmax_row(x.data(), z.data(), n, in_scale, 0.25f), std::log(s) + top, 1e-5) << in_scale;
    EXPECT_NEAR(softmax_row(w.data(), w.data(), n, in_scale, 0.25f), std::log(s) + top, 1e-5) << in_scale;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double want = 0.25 * std::exp(in_scale * double(x[i]) - top) / s;
      EXPECT_NEAR(z[i], want, 1e-7 + 1e-5 * want) << i;
      EXPECT_NEAR(w[i], want, 1e-7 + 1e-5 * want) << i;
    }
  }
}

TEST_P(VectorMath, SoftmaxWeightsBackwardMatchesTheScalarFormula) {
  const std::int64_t n = 77;
  const auto z0 = samples(n, 2.0), d0 = samples(n, 2.0);
  std::vector<float> z = z0, d = d0;
  softmax_weights_backward(z.data(), d.data(), 1.5f, 0.25f, n);
  for (std::int64_t i = 0; i < n; ++i) {
    const double p = std::exp(double(z0[i]) - 1.5);
    EXPECT_NEAR(z[i], p, 1e-6 * (1 + p)) << i;
    EXPECT_NEAR(d[i], p * (d0[i] - 0.25), 1e-5 * (1 + p)) << i;
  }
}

TEST_P(VectorMath, NormRowsMatchTheScalarFormulas) {
  const std::int64_t n = 133;
  const auto x = samples(n, 2.0), g = samples(n, 1.0), w = samples(n, 1.0), b = samples(n, 1.0);
  for (bool center : {true, false}) {
    for (bool affine : {true, false}) {  // LayerNorm / RMSNorm with weight (and bias), or plain
      const float* pw = affine ? w.data() : nullptr;
      const float* pb = affine && center ? b.data() : nullptr;
      std::vector<float> y(n), gx(n), acc_w(n, 0.5f), acc_b(n, 0.25f);
      float stats[2];
      normalize_row(x.data(), pw, pb, y.data(), n, 1e-5f, center, stats);
      normalize_row_backward(x.data(), g.data(), pw, stats[0], stats[1], n, center, gx.data(), acc_w.data(),
                             pb ? acc_b.data() : nullptr);
      double mu = 0, var = 0;
      if (center)
        for (float v : x) mu += v / double(n);
      for (float v : x) var += (v - mu) * (v - mu) / double(n);
      const double rstd = 1 / std::sqrt(var + 1e-5);
      EXPECT_NEAR(stats[0], mu, 1e-6);
      EXPECT_NEAR(stats[1], rstd, 1e-5 * rstd);
      double sum_d = 0, sum_dx = 0;
      for (std::int64_t i = 0; i < n; ++i) {
        const double xhat = (x[i] - mu) * rstd, wi = pw ? w[i] : 1.0, bi = pb ? b[i] : 0.0, d = g[i] * wi;
        sum_d += d, sum_dx += d * xhat;
        EXPECT_NEAR(y[i], xhat * wi + bi, 1e-5) << i;
        EXPECT_NEAR(acc_w[i], 0.5 + g[i] * xhat, 1e-5) << i;
        EXPECT_NEAR(acc_b[i], pb ? 0.25 + g[i] : 0.25, 1e-6) << i;
      }
      for (std::int64_t i = 0; i < n; ++i) {
        const double xhat = (x[i] - mu) * rstd, wi = pw ? w[i] : 1.0;
        const double want = rstd * (g[i] * wi - (center ? sum_d / n : 0) - xhat * sum_dx / n);
        EXPECT_NEAR(gx[i], want, 1e-5 * (1 + std::abs(want))) << i << (center ? " layernorm" : " rmsnorm");
      }
    }
  }
}

TEST_P(VectorMath, AdamWAndSumOfSquaresMatchTheScalarFormulas) {
  const std::int64_t n = 1037;
  const auto g = samples(n, 0.1), p0 = samples(n, 1.0), m0 = samples(n, 0.01);
  std::vector<float> p = p0, m = m0, v(n);
  for (std::int64_t i = 0; i < n; ++i) v[i] = m0[i] * m0[i] * 4;
  const std::vector<float> v0 = v;
  const AdamWStep step{0.999f, 0.9f, 0.95f, 1e-3f, 0.3f, 1e-8f};
  adamw_update(p.data(), g.data(), m.data(), v.data(), n, step);
  double squares = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    squares += double(g[i]) * g[i];
    const float mi = m0[i] * 0.9f + g[i] * (1 - 0.9f), vi = v0[i] * 0.95f + g[i] * g[i] * (1 - 0.95f);
    EXPECT_NEAR(m[i], mi, 1e-7) << i;
    EXPECT_NEAR(v[i], vi, 1e-9) << i;
    EXPECT_NEAR(p[i], p0[i] * 0.999f - 1e-3f * mi / (std::sqrt(vi) / 0.3f + 1e-8f), 1e-6) << i;
  }
  EXPECT_NEAR(sum_squares(g.data(), n), squares, 1e-6 * squares);
}

TEST(VectorIsa, NoSupportedInstructionSetIsBetterThanTheOneInUse) {
  EXPECT_TRUE(isa_supported(current_isa()));
  for (Isa isa : {Isa::baseline, Isa::avx2, Isa::avx512})
    if (static_cast<int>(isa) > static_cast<int>(current_isa())) {
      EXPECT_FALSE(isa_supported(isa)) << isa_name(isa);
    }
  EXPECT_TRUE(isa_supported(Isa::baseline));
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
