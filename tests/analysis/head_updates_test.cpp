// A head's update and the smoothing decomposition on hand-built maps, values and states.
#include "analysis/head_updates.h"

#include <gtest/gtest.h>

#include <cmath>

namespace sinklab::analysis {
namespace {

Matrix causal_uniform(Eigen::Index n) {
  Matrix a = Matrix::Zero(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j <= i; ++j) a(i, j) = 1.0 / static_cast<double>(i + 1);
  return a;
}

TEST(HeadUpdates, ASinkOnAZeroValueWritesNothing) {
  const Eigen::Index n = 6;
  Matrix a = Matrix::Zero(n, n);
  a.col(0).setOnes();  // every query on the first position
  Matrix v = Matrix::Random(n, 3);
  v.row(0).setZero();  // whose value is zero: the hard switch
  const Matrix wo = Matrix::Random(3, 5);
  for (double u : update_norms(a * v, wo * wo.transpose(), nullptr)) EXPECT_EQ(u, 0.0);
}

TEST(HeadUpdates, TheDiagonalWritesEachTokensOwnValue) {
  const Eigen::Index n = 5;
  const Matrix v = Matrix::Random(n, 3), wo = Matrix::Random(3, 4);
  const Matrix gram = wo * wo.transpose();
  const auto u = update_norms(v, gram, nullptr);
  const auto w = row_norms(v, gram);
  for (Eigen::Index i = 0; i < n; ++i) {
    EXPECT_NEAR(u[i], (v.row(i) * wo).norm(), 1e-12);
    EXPECT_NEAR(w[i], u[i], 1e-12);
  }
  const Matrix half = Matrix::Constant(n, 1, 0.5);  // a per-head gate halves the update
  const auto g = update_norms(v, gram, &half);
  for (Eigen::Index i = 0; i < n; ++i) EXPECT_NEAR(g[i], 0.5 * u[i], 1e-12);
  Matrix mask = Matrix::Ones(n, 3);
  mask.col(1).setZero();  // an elementwise gate closes one value channel
  Matrix v_closed = v;
  v_closed.col(1).setZero();
  const auto e = update_norms(v, gram, &mask);
  for (Eigen::Index i = 0; i < n; ++i) EXPECT_NEAR(e[i], (v_closed.row(i) * wo).norm(), 1e-12);
}

TEST(HeadUpdates, MeanPairwiseCosineOfKnownRows) {
  Matrix x(4, 2);
  x << 5, 5, 1, 0, 0, 2, 3, 3;  // row 0 (the first) is left out
  // cos(e1, e2) = 0, cos(e1, e1 + e2) = cos(e2, e1 + e2) = 1/sqrt(2)
  EXPECT_NEAR(mean_pairwise_cosine(x, 0), (0 + 2 / std::sqrt(2.0)) / 3, 1e-12);
  EXPECT_NEAR(mean_pairwise_cosine(x, 1), 1 / std::sqrt(2.0), 1e-12);
}

TEST(HeadUpdates, SmoothingTermsAgreeWhereTheirDefinitionsMeet) {
  const Eigen::Index n = 7;
  const Matrix x = Matrix::Random(n, 4), z = Matrix::Random(n, 4);
  // Attention on the diagonal adds each token's own write: X + W Z Aᵀ = X + W Z.
  const SmoothingTerms diag = smoothing_terms(x, z, z, 0);
  EXPECT_NEAR(diag.x_attn, diag.x_wz, 1e-12);
  // Uniform causal attention is A_u: no difference to uniform.
  const SmoothingTerms flat = smoothing_terms(x, z, causal_uniform(n) * z, 0);
  EXPECT_NEAR(flat.x_uniform, flat.x_attn, 1e-12);
  EXPECT_NEAR(flat.x, mean_pairwise_cosine(x, 0), 1e-12);
  // A head that writes nothing leaves every term at avg-cos(X).
  const SmoothingTerms off = smoothing_terms(x, Matrix::Zero(n, 4), Matrix::Zero(n, 4), 0);
  EXPECT_NEAR(off.x_wz, off.x, 1e-12);
  EXPECT_NEAR(off.x_attn, off.x, 1e-12);
  EXPECT_NEAR(off.x_uniform, off.x, 1e-12);
  // Mixing everything into one shared vector smooths: a large common write makes the tokens alike.
  const Matrix common = Matrix::Constant(n, 4, 100.0);
  EXPECT_GT(smoothing_terms(x, z, common, 0).x_attn, 0.99);
}

TEST(HeadUpdates, TracesOfAScaledIdentityWrite) {
  // W = c I: tr(BW) = c tr(B) and tr(BWᵀW) = c² tr(B), B the covariance of the rows after the first.
  const Eigen::Index n = 9;
  Matrix x = Matrix::Random(n, 3);
  x.row(0).setConstant(50.0);  // the first row is left out of B
  const Matrix rows = x.bottomRows(n - 1);
  const double trace_b = (rows.rowwise() - rows.colwise().mean()).squaredNorm() / static_cast<double>(n - 1);
  for (const double c : {1.0, -0.5, -2.0}) {
    const Matrix shifted = (c * x).rowwise() + Eigen::RowVectorXd::Constant(3, 7.0);  // a bias moves no covariance
    const SmoothingTerms t = smoothing_terms(x, shifted, shifted, 0);
    EXPECT_NEAR(t.trace_bw, c * trace_b, 1e-12) << c;
    EXPECT_NEAR(t.trace_bww, c * c * trace_b, 1e-12) << c;
  }
}

}  // namespace
}  // namespace sinklab::analysis
