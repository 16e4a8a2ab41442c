// Representation cost of the weights (analysis/weight_costs.h): per head, the factor costs,
// Frobenius and nuclear norms of W_QK and W_OV; per block and for the whole model, Σ‖θ‖_F².
#include <array>

#include "analysis/fields.h"
#include "analysis/grid.h"
#include "analysis/head_slices.h"
#include "analysis/metric.h"

namespace sinklab::analysis {
namespace {

using namespace fields;

constexpr Field frob_qk{.key = "frob_qk", .layout = Layout::per_head, .unit = "norm",
                        .doc = "‖W_QK‖_F with W_QK = W_Q^h W_K^hᵀ, via tr((AᵀA)(BᵀB)) of d_head × d_head Gram matrices"};
constexpr Field frob_ov{.key = "frob_ov", .layout = Layout::per_head, .unit = "norm", .doc = "‖W_OV‖_F with W_OV = W_V^h W_O^h"};
constexpr Field nuc_qk{.key = "nuc_qk", .layout = Layout::per_head, .unit = "norm",
                       .doc = "‖W_QK‖_*, via the SVD of the d_head × d_head product R_a R_bᵀ after QR of both factors",
                       .plot = {"nuclear_qk", "Nuclear norm of W_QK = W_Q W_K^T per head (mean over heads)", "||W_QK||_*", Axis::log}};
constexpr Field nuc_ov{.key = "nuc_ov", .layout = Layout::per_head, .unit = "norm", .doc = "‖W_OV‖_*",
                       .plot = {"nuclear_ov", "Nuclear norm of W_OV = W_V W_O per head (mean over heads)", "||W_OV||_*", Axis::log}};
constexpr Field ratio_qk{.key = "ratio_qk", .layout = Layout::per_head, .unit = "ratio",
                         .doc = "C_QK / (2‖W_QK‖_*) ≥ 1: how far the factors are from the cheapest factorisation of their product"};
constexpr Field ratio_ov{.key = "ratio_ov", .layout = Layout::per_head, .unit = "ratio", .doc = "C_OV / (2‖W_OV‖_*)"};
constexpr Field attn_cost{.key = "attn_cost", .layout = Layout::per_layer, .unit = "sum of squares",
                          .doc = "Σ‖θ‖_F² over the block's attention parameters (blocks.l.attn.*)",
                          .plot = {"cost_attention", "Frobenius-squared cost of a block's attention weights (mean over blocks)",
                                   "sum of ||W||_F^2 (attention)", Axis::log}};
constexpr Field mlp_cost{.key = "mlp_cost", .layout = Layout::per_layer, .unit = "sum of squares",
                         .doc = "Σ‖θ‖_F² over the block's MLP parameters (blocks.l.mlp.*)"};
// Decay on matrices only leaves the norms' gains free: a gain scaled by c and the matrices it
// feeds by 1/c compute the same function for a smaller matrix cost, so under that policy the
// attention cost can fall without end while this grows (docs/paper.md).
constexpr Field norm_cost{.key = "norm_cost", .layout = Layout::per_layer, .unit = "sum of squares",
                          .doc = "Σ‖θ‖_F² over the block's other parameters: the gains (and biases) of its norms",
                          .plot = {"cost_norm", "Squared norm of a block's norm gains (mean over blocks)", "sum of ||g||^2 (norms)", Axis::log}};
constexpr Field model_cost{.key = "model_cost", .layout = Layout::scalar, .unit = "sum of squares",
                           .doc = "Σ‖θ‖_F² over every parameter", .csv = "model_cost"};

double squared_norm(const Tensor& t) {
  double s = 0;
  for (float v : t.to_vector<float>()) s += static_cast<double>(v) * v;
  return s;
}

class WeightCosts : public Metric {
 public:
  std::string_view name() const override { return "weight costs"; }
  std::vector<const Field*> fields() const override {
    return {&cost_qk,  &cost_ov,  &frob_qk,  &frob_ov,   &nuc_qk,     &nuc_ov,
            &ratio_qk, &ratio_ov, &attn_cost, &mlp_cost, &norm_cost, &block_cost, &model_cost};
  }

  void compute(const ProbePass& p, Record& record) const override {
    const auto L = static_cast<std::size_t>(p.L);
    std::vector<double> attn(L, 0.0), mlp(L, 0.0), norms(L, 0.0), block(L, 0.0);
    double model = 0;
    for (const auto& [name, param] : p.params()) {
      const double sq = squared_norm(param);
      model += sq;
      for (std::int64_t l = 0; l < p.L; ++l) {
        const std::string b = "blocks." + std::to_string(l) + ".";
        if (name.starts_with(b + "attn.")) attn[l] += sq;
        else if (name.starts_with(b + "mlp.")) mlp[l] += sq;
        else if (name.starts_with(b)) norms[l] += sq;
      }
    }
    Grid c_qk = grid(p.L, p.H), c_ov = grid(p.L, p.H), f_qk = grid(p.L, p.H), f_ov = grid(p.L, p.H), n_qk = grid(p.L, p.H),
         n_ov = grid(p.L, p.H), r_qk = grid(p.L, p.H), r_ov = grid(p.L, p.H);
    for (std::int64_t l = 0; l < p.L; ++l) block[l] = attn[l] + mlp[l];
    // The weights looked up first (a missing one is an error, which must not be thrown inside the
    // parallel loop); then heads are independent: one per thread, each writing its own cells.
    std::vector<std::array<const Tensor*, 4>> w;  // wq, wk, wv, wo per layer
    for (std::int64_t l = 0; l < p.L; ++l) {
      const std::string b = "blocks." + std::to_string(l) + ".attn.";
      w.push_back({&p.param(b + "wq.weight"), &p.param(b + "wk.weight"), &p.param(b + "wv.weight"), &p.param(b + "wo.weight")});
    }
#pragma omp parallel for schedule(dynamic)
    for (std::int64_t lh = 0; lh < p.L * p.H; ++lh) {
      const std::int64_t l = lh / p.H, h = lh % p.H;
      const auto& [wq, wk, wv, wo] = w[static_cast<std::size_t>(l)];
      const auto qk = product_cost(head_in(*wq, h, p.H, p.D), head_in(*wk, h, p.H, p.D));
      const auto ov = product_cost(head_in(*wv, h, p.H, p.D), head_out(*wo, h, p.D));
      c_qk[l][h] = qk.factor_cost, f_qk[l][h] = qk.frobenius, n_qk[l][h] = qk.nuclear, r_qk[l][h] = qk.ratio();
      c_ov[l][h] = ov.factor_cost, f_ov[l][h] = ov.frobenius, n_ov[l][h] = ov.nuclear, r_ov[l][h] = ov.ratio();
    }
    record.set(cost_qk, c_qk);
    record.set(cost_ov, c_ov);
    record.set(frob_qk, f_qk);
    record.set(frob_ov, f_ov);
    record.set(nuc_qk, n_qk);
    record.set(nuc_ov, n_ov);
    record.set(ratio_qk, r_qk);
    record.set(ratio_ov, r_ov);
    record.set(attn_cost, attn);
    record.set(mlp_cost, mlp);
    record.set(norm_cost, norms);
    record.set(block_cost, block);
    record.set(model_cost, model);
  }
};

}  // namespace

std::unique_ptr<Metric> weight_cost_metric() { return std::make_unique<WeightCosts>(); }

}  // namespace sinklab::analysis
