#include "analysis/weight_costs.h"

#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <Eigen/SVD>

namespace sinklab::analysis {
namespace {

// R of a thin QR (k x k), so that M = Q R with orthonormal Q.
Matrix thin_r(const Matrix& m) {
  Eigen::HouseholderQR<Matrix> qr(m);
  const auto k = std::min(m.rows(), m.cols());
  return qr.matrixQR().topRows(k).triangularView<Eigen::Upper>();
}

}  // namespace

ProductCost product_cost(const Matrix& a, const Matrix& b) {
  ProductCost c;
  c.factor_cost = a.squaredNorm() + b.squaredNorm();
  // ||A B^T||_F^2 = tr((A^T A)(B^T B)).
  c.frobenius = std::sqrt(std::max(0.0, ((a.transpose() * a) * (b.transpose() * b)).trace()));
  // A B^T = Q_a (R_a R_b^T) Q_b^T: the singular values are those of the small R_a R_b^T.
  const Matrix core = thin_r(a) * thin_r(b).transpose();
  c.nuclear = Eigen::JacobiSVD<Matrix>(core).singularValues().sum();
  return c;
}

double stable_rank(const Matrix& m, const Matrix& gram) {
  // U = Q (R W), so U U^T has the nonzero spectrum of R W W^T R^T.
  const Matrix r = thin_r(m);
  const Matrix small = r * gram * r.transpose();
  const double top = Eigen::SelfAdjointEigenSolver<Matrix>(small, Eigen::EigenvaluesOnly).eigenvalues().maxCoeff();
  return top > 0 ? small.trace() / top : 0;
}

}  // namespace sinklab::analysis
