#include "analysis/head_updates.h"

#include <algorithm>
#include <cmath>

namespace sinklab::analysis {

std::vector<double> row_norms(const Matrix& y, const Matrix& gram) {
  const Eigen::VectorXd sq = (y * gram).cwiseProduct(y).rowwise().sum();
  std::vector<double> out(static_cast<std::size_t>(y.rows()));
  for (Eigen::Index i = 0; i < y.rows(); ++i) out[static_cast<std::size_t>(i)] = std::sqrt(std::max(0.0, sq(i)));
  return out;
}

std::vector<double> update_norms(const Matrix& a, const Matrix& v, const Matrix& gram, const Matrix* gate) {
  Matrix mixed = a * v;  // (N, d_head)
  if (gate != nullptr) {
    if (gate->cols() == 1)
      mixed = gate->col(0).asDiagonal() * mixed;
    else
      mixed = mixed.cwiseProduct(*gate);
  }
  return row_norms(mixed, gram);
}

double mean_pairwise_cosine(const Matrix& x, std::int64_t first) {
  const Eigen::Index n = x.rows() - first - 1;
  if (n < 2) return 0;
  // Column-wise over Eigen's column-major storage: Σ_i x_i / ‖x_i‖ as inverse norms times rows.
  const auto rows = x.bottomRows(n);
  const Eigen::VectorXd inverse = rows.rowwise().norm().cwiseMax(1e-30).cwiseInverse();
  const double sq = (inverse.transpose() * rows).squaredNorm();
  const auto m = static_cast<double>(n);
  return (sq - m) / (m * (m - 1));
}

SmoothingTerms smoothing_terms(const Matrix& x, const Matrix& z, const Matrix& az, std::int64_t first) {
  Matrix uniform(z.rows(), z.cols());
  for (Eigen::Index c = 0; c < z.cols(); ++c) {  // down each column: contiguous in column-major storage
    double running = 0;
    for (Eigen::Index i = 0; i < z.rows(); ++i) uniform(i, c) = (running += z(i, c)) / static_cast<double>(i + 1);
  }
  return {mean_pairwise_cosine(x, first), mean_pairwise_cosine(x + z, first), mean_pairwise_cosine(x + az, first),
          mean_pairwise_cosine(x + uniform, first)};
}

}  // namespace sinklab::analysis
