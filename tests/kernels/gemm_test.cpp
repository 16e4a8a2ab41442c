#include "kernels/gemm.h"

#include <gtest/gtest.h>

#include <array>

#include "engine/rng.h"
#include "ops/matmul.h"
#include "ops/shape_ops.h"
#include "support/reference_matmul.h"

namespace sinklab {
namespace {

void expect_close(const Tensor& got, const Tensor& want, double tol) {
  ASSERT_EQ(got.shape(), want.shape());
  const auto g = got.to_vector<float>();
  const auto w = want.to_vector<double>();
  for (std::size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(g[i], w[i], tol * (1 + std::abs(w[i]))) << "element " << i;
}

// fp32 through oneDNN against the naive reference, for every transpose combination.
TEST(Gemm, OnednnMatchesReferenceForAllTransposes) {
  Rng rng(11);
  const std::int64_t M = 37, K = 53, N = 29;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      Tensor a = ta ? ops::transpose(randn({K, M}, rng), 0, 1) : randn({M, K}, rng);
      Tensor b = tb ? ops::transpose(randn({N, K}, rng), 0, 1) : randn({K, N}, rng);
      expect_close(ops::matmul(a, b), testing::reference_matmul(a, b), 1e-4);
    }
}

TEST(Gemm, BatchedAndSharedRightOperand) {
  Rng rng(12);
  Tensor a = randn({2, 3, 5, 7}, rng), b = randn({2, 3, 7, 4}, rng), w = randn({7, 6}, rng);
  expect_close(ops::matmul(a, b), testing::reference_matmul(a, b), 1e-4);
  expect_close(ops::matmul(a, w), testing::reference_matmul(a, w), 1e-4);
  Tensor bt = ops::transpose(randn({2, 3, 4, 7}, rng), -1, -2);  // batched NT
  expect_close(ops::matmul(a, bt), testing::reference_matmul(a, bt), 1e-4);
  Tensor ap = ops::permute(randn({5, 2, 3, 7}, rng), {1, 2, 0, 3});  // batch dims not collapsible
  expect_close(ops::matmul(ap, b), testing::reference_matmul(ap, b), 1e-4);
}

TEST(Gemm, AccumulateAddsIntoTheOutput) {
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor a = Tensor::full({2, 3}, 1.0, dt), b = Tensor::full({3, 2}, 2.0, dt), c = Tensor::full({2, 2}, 1.0, dt);
    kernels::MatrixView va{a.raw_data(), 1, 2, 3, 0, 3, 1}, vb{b.raw_data(), 1, 3, 2, 0, 2, 1};
    kernels::gemm(dt, va, vb, c.raw_data(), true);
    for (std::int64_t i = 0; i < 4; ++i) EXPECT_EQ(c.at({i / 2, i % 2}), 7.0);
  }
}

// The single-threaded product used inside parallel loops: every transpose, accumulation, and
// the one-row / one-column shapes whose leading dimension BLAS checks, in both dtypes.
TEST(Gemm, OnThisThreadMatchesReference) {
  for (DType dt : {DType::f32, DType::f64})
    for (const auto& [M, K, N] : {std::array<std::int64_t, 3>{7, 5, 6}, {1, 5, 6}, {7, 1, 6}, {7, 5, 1}})
      for (bool ta : {false, true})
        for (bool tb : {false, true}) {
          Rng rng(15);
          const Tensor a = ta ? ops::transpose(randn({K, M}, rng, 1.0, dt), 0, 1) : randn({M, K}, rng, 1.0, dt);
          const Tensor b = tb ? ops::transpose(randn({N, K}, rng, 1.0, dt), 0, 1) : randn({K, N}, rng, 1.0, dt);
          const kernels::MatrixView va{a.raw_data(), 1, M, K, 0, a.strides()[0], a.strides()[1]};
          const kernels::MatrixView vb{b.raw_data(), 1, K, N, 0, b.strides()[0], b.strides()[1]};
          Tensor c = Tensor::full({M, N}, 1.0, dt);
          kernels::gemm_on_this_thread(dt, va, vb, c.raw_data(), true);
          const auto got = c.to(DType::f64).to_vector<double>(), want = testing::reference_matmul(a, b).to_vector<double>();
          for (std::size_t i = 0; i < got.size(); ++i)
            ASSERT_NEAR(got[i], want[i] + 1.0, 1e-4) << dtype_name(dt) << " " << M << "x" << K << "x" << N << " " << ta << tb;
          // Into the first N columns of wider rows (a head's columns of a token-major buffer): the
          // other columns stay as they were.
          Tensor wide = Tensor::full({M, N + 3}, 5.0, dt);
          kernels::gemm_on_this_thread(dt, va, vb, wide.raw_data(), false, N + 3);
          const auto w = wide.to(DType::f64).to_vector<double>();
          for (std::int64_t r = 0; r < M; ++r)
            for (std::int64_t col = 0; col < N + 3; ++col) {
              const auto at = static_cast<std::size_t>(r * (N + 3) + col);
              const double expected = col < N ? want[static_cast<std::size_t>(r * N + col)] : 5.0;
              ASSERT_NEAR(w[at], expected, 1e-4) << dtype_name(dt) << " strided output " << r << "," << col;
            }
        }
  Tensor small = Tensor::zeros({2, 2});
  const kernels::MatrixView v2{small.raw_data(), 1, 2, 2, 0, 2, 1};
  try {
    kernels::gemm_on_this_thread(DType::f32, v2, v2, small.raw_data(), false, 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("output rows 1 apart cannot hold 2 columns"), std::string::npos) << e.what();
  }
}

// Products with no inner dimension are zero (or leave an accumulated output as it was), through
// both entry points.
TEST(Gemm, EmptyInnerDimension) {
  for (DType dt : {DType::f32, DType::f64}) {
    const Tensor a = Tensor::zeros({3, 0}, dt), b = Tensor::zeros({0, 4}, dt);
    const kernels::MatrixView va{a.raw_data(), 1, 3, 0, 0, 0, 1}, vb{b.raw_data(), 1, 0, 4, 0, 4, 1};
    for (bool on_this_thread : {false, true})
      for (bool accumulate : {false, true}) {
        Tensor c = Tensor::full({3, 4}, 2.0, dt);
        if (on_this_thread) kernels::gemm_on_this_thread(dt, va, vb, c.raw_data(), accumulate);
        else kernels::gemm(dt, va, vb, c.raw_data(), accumulate);
        for (double v : c.to(DType::f64).to_vector<double>())
          EXPECT_EQ(v, accumulate ? 2.0 : 0.0) << dtype_name(dt) << " on_this_thread " << on_this_thread;
      }
  }
}

TEST(Gemm, Fp64PathMatchesReference) {
  Rng rng(13);
  Tensor a = ops::transpose(randn({6, 4}, rng, 1.0, DType::f64), 0, 1), b = randn({6, 5}, rng, 1.0, DType::f64);
  const auto got = ops::matmul(a, b).to_vector<double>();
  const auto want = testing::reference_matmul(a, b).to_vector<double>();
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12);
}

TEST(Gemm, ShapeErrorsNameBothShapes) {
  try {
    ops::matmul(Tensor::zeros({2, 3}), Tensor::zeros({4, 5}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("matmul: inner dimensions differ: a (2, 3) vs b (4, 5)"), std::string::npos);
  }
}

}  // namespace
}  // namespace sinklab
