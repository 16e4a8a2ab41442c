#pragma once
// Representation cost of attention heads, from the weights. For head h, in the row-vector
// convention q = x W_Q^h with W_Q^h, W_K^h, W_V^h (d_model x d_head) and W_O^h (d_head x d_model):
//   factor costs   C_QK = ||W_Q^h||_F^2 + ||W_K^h||_F^2,  C_OV = ||W_V^h||_F^2 + ||W_O^h||_F^2
//   products       W_QK = W_Q^h W_K^h^T,  W_OV = W_V^h W_O^h  (d_model x d_model)
// Frobenius norms via traces of d_head x d_head Gram products; nuclear norms via a d_head x d_head
// SVD after QR of the factors. C / (2 ||W||_*) >= 1, with equality for the cheapest factorisation.
// Under grouped-query attention W_K^h and W_V^h are the slices of the kv head h reads, shared by
// its group: the per-head costs count them once per query head, so they do not sum to Σ‖θ‖_F².
#include <Eigen/Core>

namespace sinklab::analysis {

using Matrix = Eigen::MatrixXd;

struct ProductCost {
  double factor_cost = 0;  // ||A||_F^2 + ||B||_F^2
  double frobenius = 0;    // ||A B^T||_F
  double nuclear = 0;      // ||A B^T||_*
  double ratio() const { return nuclear > 0 ? factor_cost / (2 * nuclear) : 0; }
};

// For the product A B^T with A, B of shape (d_model, d_head).
ProductCost product_cost(const Matrix& a, const Matrix& b);

// Stable rank ||U||_F^2 / sigma_1(U)^2 of U = M W with M (n, k), W (k, m), given gram = W W^T
// (k, k, shared by every M of one W), through QR of M.
double stable_rank(const Matrix& m, const Matrix& gram);

}  // namespace sinklab::analysis
