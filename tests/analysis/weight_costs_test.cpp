#include "analysis/weight_costs.h"

#include <gtest/gtest.h>

#include <Eigen/SVD>

namespace sinklab::analysis {
namespace {

TEST(WeightCosts, HandBuiltFactorsGiveClosedForms) {
  Matrix a = Matrix::Zero(3, 2), b = Matrix::Zero(3, 2);
  a(0, 0) = 3, a(1, 1) = 1;
  b(0, 0) = 1, b(1, 1) = 2;  // A B^T = diag(3, 2, 0)
  const auto c = product_cost(a, b);
  EXPECT_NEAR(c.factor_cost, 9 + 1 + 1 + 4, 1e-12);
  EXPECT_NEAR(c.frobenius, std::sqrt(13.0), 1e-12);
  EXPECT_NEAR(c.nuclear, 5.0, 1e-12);
  EXPECT_NEAR(c.ratio(), 1.5, 1e-12);
  // The balanced factorisation sqrt(3), sqrt(2) on each side is the cheapest: ratio 1.
  a(0, 0) = b(0, 0) = std::sqrt(3.0);
  a(1, 1) = b(1, 1) = std::sqrt(2.0);
  EXPECT_NEAR(product_cost(a, b).ratio(), 1.0, 1e-12);
}

TEST(WeightCosts, RandomFactorsMatchTheFullProduct) {
  const Matrix a = Matrix::Random(12, 4), b = Matrix::Random(12, 4);
  const Matrix w = a * b.transpose();
  const auto c = product_cost(a, b);
  EXPECT_NEAR(c.frobenius, w.norm(), 1e-10);
  EXPECT_NEAR(c.nuclear, Eigen::JacobiSVD<Matrix>(w).singularValues().sum(), 1e-10);
  EXPECT_GE(c.ratio(), 1.0);
}

TEST(WeightCosts, StableRank) {
  const Matrix col = Matrix::Random(9, 1), row = Matrix::Random(1, 6);
  EXPECT_NEAR(stable_rank(col, row * row.transpose()), 1.0, 1e-10);  // rank one
  EXPECT_NEAR(stable_rank(Matrix::Identity(5, 5), Matrix::Identity(5, 5) * 4), 5.0, 1e-10);
  const Matrix m = Matrix::Random(10, 4), w = Matrix::Random(4, 7);
  const auto sv = Eigen::JacobiSVD<Matrix>(m * w).singularValues();
  EXPECT_NEAR(stable_rank(m, w * w.transpose()), sv.squaredNorm() / (sv(0) * sv(0)), 1e-10);
}

}  // namespace
}  // namespace sinklab::analysis
