// Does a head's attention smooth the tokens (make them alike) more than the same head would
// without mixing, or with uniform mixing? The seed paper's per-head decomposition (arXiv
// 2605.08453, Figs 8–9), on X the attention's input and z_j = v_j W_O^h the head's value write
// (the attention path without any output gate). Every cosine is the mean pairwise cosine of the
// tokens after the first, probe mean.
#include "analysis/fields.h"
#include "analysis/grid.h"
#include "analysis/head_slices.h"
#include "analysis/head_updates.h"
#include "analysis/metric.h"

namespace sinklab::analysis {
namespace {

using fields::attn_in_cosine;
using fields::smoothing_dense;

constexpr Field cos_x_wz{.key = "cos_x_wz",
                         .layout = Layout::per_head,
                         .unit = "cosine",
                         .doc = "avg-cos(X + W Z): each token plus its own value write z_i = v_i W_O^h (attention on the diagonal)"};
constexpr Field cos_x_attn{.key = "cos_x_attn",
                           .layout = Layout::per_head,
                           .unit = "cosine",
                           .doc = "avg-cos(X + W Z Aᵀ): each token plus the head's update Σ_j A_ij z_j"};
constexpr Field cos_x_uniform{.key = "cos_x_uniform",
                              .layout = Layout::per_head,
                              .unit = "cosine",
                              .doc = "avg-cos(X + W Z A_uᵀ): each token plus the update of uniform causal attention, mean_{j≤i} z_j"};
constexpr Field smoothing_uniform{
    .key = "smoothing_uniform",
    .layout = Layout::per_head,
    .unit = "cosine",
    .doc = "avg-cos(X + W Z A_uᵀ) − avg-cos(X + W Z Aᵀ) (the paper's Fig 9): > 0 when uniform attention would smooth more than the "
           "head's own",
    .csv = "smoothing_uniform",
    .chance = [](const ProbeShape&) { return 0.0; },
    .plot = {"smoothing_uniform", "Smoothing uniform attention would add: avg-cos(X + WZA_uᵀ) − avg-cos(X + WZAᵀ) (mean over heads)",
             "cosine difference"}};

Matrix sequence(const Tensor& t, std::int64_t b) {
  const std::int64_t N = t.shape()[1], C = t.shape()[2];
  Matrix out(N, C);
  const float* p = t.data<float>() + b * N * C;
  for (std::int64_t i = 0; i < N; ++i)
    for (std::int64_t c = 0; c < C; ++c) out(i, c) = p[i * C + c];
  return out;
}

class Smoothing : public Metric {
 public:
  std::string_view name() const override { return "smoothing"; }
  std::vector<const Field*> fields() const override {
    return {&attn_in_cosine, &cos_x_wz, &cos_x_attn, &cos_x_uniform, &smoothing_dense, &smoothing_uniform};
  }

  void compute(const ProbePass& p, Record& record) const override {
    std::vector<double> x_cos(static_cast<std::size_t>(p.L), 0.0);
    Grid wz = grid(p.L, p.H), attn = grid(p.L, p.H), uniform = grid(p.L, p.H), dense = grid(p.L, p.H), flat = grid(p.L, p.H);
    const auto B = static_cast<double>(p.B);
    // The products in float, as the captures are (half the time of double); the cosines in double.
    std::vector<Eigen::MatrixXf> wo_h;  // (d_head, d_model) per (layer, head)
    for (std::int64_t l = 0; l < p.L; ++l) {
      const Tensor& wo = p.param("blocks." + std::to_string(l) + ".attn.wo.weight");
      for (std::int64_t h = 0; h < p.H; ++h) wo_h.push_back(head_out(wo, h, p.D).transpose().cast<float>());
    }
    // Heads are independent: one per thread (the probe pass is read-only).
#pragma omp parallel for schedule(dynamic)
    for (std::int64_t lh = 0; lh < p.L * p.H; ++lh) {
      const std::int64_t l = lh / p.H, h = lh % p.H;
      for (std::int64_t b = 0; b < p.B; ++b) {
        const Matrix x = sequence(p.attn_in(l), b);
        const Eigen::MatrixXf v = head_values(p, l, h, b).cast<float>(), a = head_map(p, l, h, b).cast<float>();
        const Matrix z = (v * wo_h[lh]).cast<double>(), az = ((a * v) * wo_h[lh]).cast<double>();
        const SmoothingTerms s = smoothing_terms(x, z, az, p.first);
        if (h == 0) x_cos[l] += s.x / B;
        wz[l][h] += s.x_wz / B, attn[l][h] += s.x_attn / B, uniform[l][h] += s.x_uniform / B;
        dense[l][h] += (s.x_attn - s.x_wz) / B, flat[l][h] += (s.x_uniform - s.x_attn) / B;
      }
    }
    record.set(attn_in_cosine, x_cos);
    record.set(cos_x_wz, wz);
    record.set(cos_x_attn, attn);
    record.set(cos_x_uniform, uniform);
    record.set(smoothing_dense, dense);
    record.set(smoothing_uniform, flat);
  }
};

}  // namespace

std::unique_ptr<Metric> smoothing_metric() { return std::make_unique<Smoothing>(); }

}  // namespace sinklab::analysis
