#pragma once
// What one head writes into the residual stream on one probe sequence, in the row-vector
// convention of docs/metrics.md: the update u_i = (g_i ⊙ Σ_j A_ij v_j) W_O^h, and the seed paper's
// smoothing decomposition of X + W Z Aᵀ (arXiv 2605.08453, Figs 8–9).
#include <cstdint>
#include <vector>

#include "analysis/weight_costs.h"
#include "ops/attention.h"

namespace sinklab::analysis {

// ‖u_i‖ for every query i: mixed = A V (N, d_head), the head's mixed values, gram = W_O^h W_O^hᵀ
// (d_head × d_head, so ‖y W_O^h‖² = y gram yᵀ without forming the d_model-wide update), gate
// (N, d_head) or (N, 1) per-query output gates, or null when ungated.
std::vector<double> update_norms(Matrix mixed, const Matrix& gram, const Matrix* gate);
// ‖y_i W_O^h‖ for every row of y (N, d_head), through the same Gram matrix.
std::vector<double> row_norms(const Matrix& y, const Matrix& gram);

// Mean pairwise cosine of the rows i > first of x (N, d): (‖Σ_i x̂_i‖² − n) / (n (n − 1)), in
// x's scalar type (the smoothing metric runs in float, like the captures), returned as double.
template <class M>
double mean_pairwise_cosine(const Eigen::MatrixBase<M>& x, std::int64_t first) {
  using Scalar = typename M::Scalar;
  const Eigen::Index n = x.rows() - first - 1;
  if (n < 2) return 0;
  const auto rows = x.bottomRows(n);
  const Eigen::Matrix<Scalar, Eigen::Dynamic, 1> inverse = rows.rowwise().norm().cwiseMax(Scalar(1e-30)).cwiseInverse();
  const double sq = static_cast<double>((inverse.transpose() * rows).squaredNorm());
  const auto m = static_cast<double>(n);
  return (sq - m) / (m * (m - 1));
}

// The mean pairwise cosines (rows after the first) of the attention input X, of X + W Z (each
// token plus its own value write, z_j = v_j W_O^h), of X + W Z Aᵀ (plus the head's actual update)
// and of X + W Z A_uᵀ (plus the update of uniform attention over the keys query i sees: j ≤ i, from
// query 1 on without key 0 under `no_first` or without i itself under `no_self`); az = A z, the
// head's update, which the caller forms cheaply as (A V) W_O^h.
// Also the two traces of the proof behind Figs 8–9 (its D_k(λ), for column tokens t_i with
// covariance B, residual x_i = β t_i and update W t): along the path from the diagonal to uniform
// attention the tokens grow alike all the way when β tr(BW) > 0, apart all the way when
// β tr(BW) + tr(BWᵀW) < 0. Here X is the attention input itself (β = 1, t_i = x_i), B is the
// covariance of the rows after the first (centred within the sequence) and z_i = x_i W, so
// trace_bw = mean_i ⟨x̃_i, z̃_i⟩ and trace_bww = mean_i ‖z̃_i‖², tildes centred.
struct SmoothingTerms {
  double x = 0, x_wz = 0, x_attn = 0, x_uniform = 0;
  double trace_bw = 0, trace_bww = 0;
};
template <class X, class Z, class AZ>
SmoothingTerms smoothing_terms(const Eigen::MatrixBase<X>& x, const Eigen::MatrixBase<Z>& z, const Eigen::MatrixBase<AZ>& az,
                               std::int64_t first, ops::KeyMask mask = ops::KeyMask::causal) {
  using Scalar = typename Z::Scalar;
  Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> uniform(z.rows(), z.cols());
  for (Eigen::Index c = 0; c < z.cols(); ++c) {  // a running mean down each column, less the hidden key
    double running = 0;
    for (Eigen::Index i = 0; i < z.rows(); ++i) {
      running += z(i, c);
      const bool hides = i > 0 && mask != ops::KeyMask::causal;
      const double hidden = !hides ? 0.0 : mask == ops::KeyMask::no_first ? z(0, c) : z(i, c);
      uniform(i, c) = static_cast<Scalar>((running - hidden) / static_cast<double>(i + 1 - hides));
    }
  }
  SmoothingTerms t{mean_pairwise_cosine(x, first), mean_pairwise_cosine(x + z, first), mean_pairwise_cosine(x + az, first),
                   mean_pairwise_cosine(x + uniform, first)};
  const Eigen::Index n = x.rows() - first - 1;
  if (n >= 1) {
    const auto xs = x.bottomRows(n), zs = z.bottomRows(n);
    const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> xc = xs.rowwise() - xs.colwise().mean(), zc = zs.rowwise() - zs.colwise().mean();
    t.trace_bw = static_cast<double>(xc.cwiseProduct(zc).sum()) / static_cast<double>(n);
    t.trace_bww = static_cast<double>(zc.squaredNorm()) / static_cast<double>(n);
  }
  return t;
}

}  // namespace sinklab::analysis
