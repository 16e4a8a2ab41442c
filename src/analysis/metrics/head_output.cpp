// The hard switch (arXiv 2605.08453, claim 3): a head whose query parks its attention on a sink
// writes (nearly) nothing. Measured directly on the head's update u_i = (g_i ⊙ Σ_j A_ij v_j) W_O^h,
// against the size of a typical token's value write, overall, on the queries that put most of
// their attention on the first position, and per query class on synthetic tasks.
#include <array>
#include <cmath>
#include <limits>

#include "analysis/chance.h"
#include "analysis/grid.h"
#include "analysis/head_slices.h"
#include "analysis/head_updates.h"
#include "analysis/metric.h"

namespace sinklab::analysis {
namespace {

// A query is a sink query when at least this share of its attention goes to the first position.
constexpr double sink_query_mass = 0.5;

constexpr Field head_out_norm{
    .key = "head_out_norm",
    .layout = Layout::per_head,
    .unit = "ratio",
    .doc = "mean_{i>first} ‖u_i‖ / mean_{j>first} ‖v_j W_O^h‖ per sequence, mean over the probe sequences on which the head writes "
           "something, with u_i = (g_i ⊙ Σ_j A_ij v_j) W_O^h the head's update at query i (g its output gate, 1 when ungated); 0 "
           "when it writes nothing on any",
    .csv = "head_out_norm"};
constexpr Field sink_query_share{
    .key = "sink_query_share",
    .layout = Layout::per_head,
    .unit = "fraction",
    .doc = "share of the probe's queries i > first with A_{i,first} ≥ 0.5 (sink queries)",
    .chance = [](const ProbeShape& p) {
      if (p.positions <= p.first + 1) return 0.0;
      double n = 0;
      for (std::int64_t i = p.first + 1; i < p.positions; ++i) n += chance::uniform(p, i, p.first) >= sink_query_mass;
      return n / static_cast<double>(p.positions - p.first - 1);
    }};
constexpr Field head_out_norm_sink{
    .key = "head_out_norm_sink",
    .layout = Layout::per_head,
    .unit = "ratio",
    .doc = "the same ratio ‖u_i‖ / mean_j ‖v_j W_O^h‖ pooled over the sink queries: ≈ 0 when parking on the first position is a hard "
           "switch (the paper's claim 3); null for a head without sink queries",
    .nullable = true};
constexpr Field needs_out_norm{.key = "by_class/needs_attention/out_norm",
                               .layout = Layout::per_head,
                               .unit = "ratio",
                               .doc = "the same ratio pooled over the queries that need attention",
                               .csv = "out_norm_needs_attn"};
constexpr Field free_out_norm{.key = "by_class/no_attention/out_norm",
                              .layout = Layout::per_head,
                              .unit = "ratio",
                              .doc = "the same ratio pooled over the queries that need no attention: ≈ 0 when the head switches off there",
                              .csv = "out_norm_no_attn",
                              .plot = {"no_attention_out_norm",
                                       "Queries that need no attention: the head's output norm over a typical value write (0: hard switch)",
                                       "‖u_i‖ / mean ‖v_j W_O‖"}};

// The head's output gates of sequence b as (N, d_head) or (N, 1).
Matrix head_gate(const Tensor& g, std::int64_t b, std::int64_t h, std::int64_t H) {
  const std::int64_t N = g.shape()[1], G = g.shape()[2], width = G / H;
  Matrix out(N, width);
  const float* pg = g.data<float>() + b * N * G;
  for (std::int64_t i = 0; i < N; ++i)
    for (std::int64_t d = 0; d < width; ++d) out(i, d) = pg[i * G + h * width + d];
  return out;
}

class HeadOutput : public Metric {
 public:
  std::string_view name() const override { return "head output"; }
  std::vector<const Field*> fields() const override {
    return {&head_out_norm, &sink_query_share, &head_out_norm_sink, &needs_out_norm, &free_out_norm};
  }

  void compute(const ProbePass& p, Record& record) const override {
    Grid overall = grid(p.L, p.H), share = grid(p.L, p.H), sink = grid(p.L, p.H), by_class[2] = {grid(p.L, p.H), grid(p.L, p.H)};
    const std::int32_t* needs = p.needs_attention();
    const std::int64_t queries = p.N - p.first - 1;
    if (queries < 1) return;
    std::vector<Matrix> grams;  // W_O^h W_O^hᵀ per (layer, head)
    for (std::int64_t l = 0; l < p.L; ++l) {
      const Tensor& wo = p.param("blocks." + std::to_string(l) + ".attn.wo.weight");
      for (std::int64_t h = 0; h < p.H; ++h) {
        const Matrix wo_h = head_out(wo, h, p.D).transpose();  // (d_head, d_model)
        grams.push_back(wo_h * wo_h.transpose());
      }
    }
    // Heads are independent: one per thread (the probe pass is read-only).
#pragma omp parallel for schedule(dynamic)
    for (std::int64_t lh = 0; lh < p.L * p.H; ++lh) {
      const std::int64_t l = lh / p.H, h = lh % p.H;
      double sink_sum = 0, sink_n = 0, scaled = 0;
      std::array<double, 2> class_sum{}, class_n{};
      for (std::int64_t b = 0; b < p.B; ++b) {
        const Matrix v = head_values(p, l, h, b);
        const HeadMap map = p.map(l, b, h);
        const float* a = map.data();  // row i, column j at a[i * N + j]
        const Tensor* g = p.gate(l);
        const Matrix gate = g != nullptr ? head_gate(*g, b, h, p.H) : Matrix();
        const std::vector<double> u = update_norms(head_mixed(p, l, h, b), grams[lh], g != nullptr ? &gate : nullptr);
        const std::vector<double> writes = row_norms(v, grams[lh]);
        double scale = 0;
        for (std::int64_t j = p.first + 1; j < p.N; ++j) scale += writes[j];
        scale /= static_cast<double>(queries);
        double n_sink = 0;
        for (std::int64_t i = p.first + 1; i < p.N; ++i) n_sink += a[i * p.N + p.first] >= sink_query_mass;
        share[l][h] += n_sink / static_cast<double>(queries) / static_cast<double>(p.B);
        // A sequence on which the head writes nothing at all has no scale to compare with: it is
        // left out of the ratios (and of their means).
        if (!(scale > 0)) continue;
        double sum = 0;
        scaled += 1;
        for (std::int64_t i = p.first + 1; i < p.N; ++i) {
          const double r = u[i] / scale;
          sum += r;
          if (a[i * p.N + p.first] >= sink_query_mass) sink_sum += r, sink_n += 1;
          if (needs != nullptr) {
            const int k = needs[b * p.T + (i - p.R)] != 0;
            class_sum[k] += r, class_n[k] += 1;
          }
        }
        overall[l][h] += sum / static_cast<double>(queries);
      }
      overall[l][h] = scaled > 0 ? overall[l][h] / scaled : 0;
      sink[l][h] = sink_n > 0 ? sink_sum / sink_n : std::numeric_limits<double>::quiet_NaN();
      for (int k = 0; k < 2; ++k) by_class[k][l][h] = class_n[k] > 0 ? class_sum[k] / class_n[k] : 0;
    }
    record.set(head_out_norm, overall);
    record.set(sink_query_share, share);
    Json sink_json = Json::array();
    for (const auto& row : sink) {
      Json r = Json::array();
      for (double v : row) r.push_back(std::isnan(v) ? Json(nullptr) : Json(v));
      sink_json.push_back(r);
    }
    record.set(head_out_norm_sink, sink_json);
    if (needs != nullptr) {
      record.set(needs_out_norm, by_class[1]);
      record.set(free_out_norm, by_class[0]);
    }
  }
};

}  // namespace

std::unique_ptr<Metric> head_output_metric() { return std::make_unique<HeadOutput>(); }

}  // namespace sinklab::analysis
