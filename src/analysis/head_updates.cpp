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

std::vector<double> update_norms(Matrix mixed, const Matrix& gram, const Matrix* gate) {
  if (gate != nullptr) {
    if (gate->cols() == 1)
      mixed = gate->col(0).asDiagonal() * mixed;
    else
      mixed = mixed.cwiseProduct(*gate);
  }
  return row_norms(mixed, gram);
}

}  // namespace sinklab::analysis
