// Does a head's attention smooth the tokens (make them alike) more than the same head would
// without mixing, or with uniform mixing? The seed paper's per-head decomposition (arXiv
// 2605.08453, Figs 8–9), on X the attention's input and z_j = v_j W_O^h the head's value write
// (the attention path without any output gate). Every cosine is the mean pairwise cosine of the
// tokens after the first, probe mean.
#include "analysis/fields.h"
#include "analysis/grid.h"
#include "analysis/head_updates.h"
#include "analysis/metric.h"
#include "engine/autograd.h"
#include "ops/ops.h"

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
                              .doc = "avg-cos(X + W Z A_uᵀ): each token plus the update of uniform attention over the keys it sees, mean_{j≤i} z_j "
                                     "(without the key a model.attention.mask hides)"};
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

constexpr Field trace_bw{.key = "smoothing_trace_bw",
                         .layout = Layout::per_head,
                         .unit = "trace",
                         .doc = "β tr(BW) of the proof of Figs 8–9: mean_{i>first} ⟨x̃_i, z̃_i⟩ with z_i = x_i W_V^h W_O^h, both centred "
                                "within the sequence (B the covariance of the attention inputs, W = (W_V^h W_O^h)ᵀ acting on column tokens as "
                                "in the paper's X + WZ, β = 1), probe mean"};
constexpr Field trace_bww{.key = "smoothing_trace_bww",
                          .layout = Layout::per_head,
                          .unit = "trace",
                          .doc = "tr(BWᵀW): mean_{i>first} ‖z̃_i‖², probe mean"};
constexpr Field condition{.key = "smoothing_condition",
                          .layout = Layout::head_labels,
                          .unit = "",
                          .doc = "the paper's colour of the head in Figs 8–9: dense-smooths (red, β tr(BW) > 0: moving from the "
                                 "diagonal to uniform attention smooths all the way), sparse-smooths (blue, β tr(BW) + tr(BWᵀW) < 0: it "
                                 "unsmooths all the way) or neither (gray: it smooths then unsmooths; uniform smooths more than the "
                                 "diagonal when 2β tr(BW) + tr(BWᵀW) > 0)",
                          .csv = "smoothing_condition",
                          .labels = "dense-smooths sparse-smooths neither"};

using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using View = Eigen::Map<const RowMajor>;

// Each head's rows of a (B, H, N, d_head) capture through its W_O^h: (B·N, d_model) per head. One
// product per head for the whole probe, through the engine's GEMM, not one small product per
// (sequence, head).
std::vector<Tensor> through_wo(const Tensor& rows, const Tensor& wo, std::int64_t H, std::int64_t D) {
  NoGradGuard no_grad;
  const std::int64_t B = rows.shape()[0], N = rows.shape()[2];
  std::vector<Tensor> out;
  for (std::int64_t h = 0; h < H; ++h) {
    const Tensor head = ops::reshape(ops::contiguous(ops::slice(rows, 1, h, h + 1)), {B * N, D});
    out.push_back(ops::matmul(head, ops::transpose(ops::slice(wo, 1, h * D, (h + 1) * D), 0, 1)));  // W_O^h: (d_head, d_model)
  }
  return out;
}

class Smoothing : public Metric {
 public:
  std::string_view name() const override { return "smoothing"; }
  std::vector<const Field*> fields() const override {
    return {&attn_in_cosine, &cos_x_wz, &cos_x_attn, &cos_x_uniform, &smoothing_dense, &smoothing_uniform, &trace_bw, &trace_bww, &condition};
  }

  void compute(const ProbePass& p, Record& record) const override {
    std::vector<double> x_cos(static_cast<std::size_t>(p.L), 0.0);
    Grid wz = grid(p.L, p.H), attn = grid(p.L, p.H), uniform = grid(p.L, p.H), dense = grid(p.L, p.H), flat = grid(p.L, p.H),
         bw = grid(p.L, p.H), bww = grid(p.L, p.H);
    const auto B = static_cast<double>(p.B);
    // In float, as the captures are, on views (no copies); cosines returned in double. Per layer:
    // every head's writes z = V W_O^h and updates A z = (A V) W_O^h, then one sequence per task,
    // its heads inside (they share X); each task's terms go to their own slot and are summed in
    // order after, so the result does not depend on the threads.
    std::vector<SmoothingTerms> terms(static_cast<std::size_t>(p.L * p.B * p.H));
    for (std::int64_t l = 0; l < p.L; ++l) {
      const Tensor& wo = p.param("blocks." + std::to_string(l) + ".attn.wo.weight");
      const std::vector<Tensor> writes = through_wo(p.values(l), wo, p.H, p.D), updates = through_wo(p.mixed(l), wo, p.H, p.D);
#pragma omp parallel for schedule(dynamic)
      for (std::int64_t b = 0; b < p.B; ++b) {
        const View x(p.attn_in(l).data<float>() + b * p.N * p.C, p.N, p.C);
        for (std::int64_t h = 0; h < p.H; ++h) {
          const View z(writes[h].data<float>() + b * p.N * p.C, p.N, p.C), az(updates[h].data<float>() + b * p.N * p.C, p.N, p.C);
          terms[((l * p.B + b) * p.H) + h] = smoothing_terms(x, z, az, p.first, p.shape().mask);
        }
      }
    }
    for (std::int64_t l = 0; l < p.L; ++l)
      for (std::int64_t b = 0; b < p.B; ++b)
        for (std::int64_t h = 0; h < p.H; ++h) {
          const SmoothingTerms& s = terms[((l * p.B + b) * p.H) + h];
          if (h == 0) x_cos[l] += s.x / B;
          wz[l][h] += s.x_wz / B, attn[l][h] += s.x_attn / B, uniform[l][h] += s.x_uniform / B;
          dense[l][h] += (s.x_attn - s.x_wz) / B, flat[l][h] += (s.x_uniform - s.x_attn) / B;
          bw[l][h] += s.trace_bw / B, bww[l][h] += s.trace_bww / B;
        }
    std::vector<std::vector<std::string>> classes(static_cast<std::size_t>(p.L), std::vector<std::string>(static_cast<std::size_t>(p.H)));
    for (std::int64_t l = 0; l < p.L; ++l)
      for (std::int64_t h = 0; h < p.H; ++h)
        classes[l][h] = bw[l][h] > 0 ? "dense-smooths" : bw[l][h] + bww[l][h] < 0 ? "sparse-smooths" : "neither";
    record.set(attn_in_cosine, x_cos);
    record.set(cos_x_wz, wz);
    record.set(cos_x_attn, attn);
    record.set(cos_x_uniform, uniform);
    record.set(smoothing_dense, dense);
    record.set(smoothing_uniform, flat);
    record.set(trace_bw, bw);
    record.set(trace_bww, bww);
    record.set(condition, classes);
  }
};

}  // namespace

std::unique_ptr<Metric> smoothing_metric() { return std::make_unique<Smoothing>(); }

}  // namespace sinklab::analysis
