// Nop vs broadcast, part one ("A Unifying View of Attention Sinks"): how much the key a head
// attends to most writes after W_O, against the other positions; and the same for the first token.
#include <numeric>

#include "analysis/attention_metrics.h"
#include "analysis/fields.h"
#include "analysis/grid.h"
#include "analysis/head_slices.h"
#include "analysis/head_updates.h"
#include "analysis/metric.h"

namespace sinklab::analysis {
namespace {

using fields::first_value_ratio;
using fields::value_norm_ratio;

constexpr Field dominant_key{.key = "dominant_key",
                             .layout = Layout::per_head,
                             .unit = "position",
                             .doc = "s = argmax_j mean_{i≥first} Ā_ij of the probe-mean map Ā"};

class ValueNorms : public Metric {
 public:
  std::string_view name() const override { return "value norms"; }
  std::vector<const Field*> fields() const override { return {&dominant_key, &value_norm_ratio, &first_value_ratio}; }

  void compute(const ProbePass& p, Record& record) const override {
    Grid dominant = grid(p.L, p.H), ratio = grid(p.L, p.H), first_ratio = grid(p.L, p.H);
    std::vector<Matrix> grams;  // ||v W_O^h||^2 = v S v^T, S per (layer, head), before the parallel loop
    for (std::int64_t l = 0; l < p.L; ++l) {
      const Tensor& wo = p.param("blocks." + std::to_string(l) + ".attn.wo.weight");
      for (std::int64_t h = 0; h < p.H; ++h) {
        const Matrix wo_h = head_out(wo, h, p.D).transpose();  // (D, C): row vector v W_O^h
        grams.push_back(wo_h * wo_h.transpose());
      }
    }
    // Heads are independent: one per thread, each writing its own cells.
#pragma omp parallel for schedule(dynamic)
    for (std::int64_t lh = 0; lh < p.L * p.H; ++lh) {
      const std::int64_t l = lh / p.H, h = lh % p.H;
      const std::int64_t s_key = p.dominant_key(l, h);
      dominant[l][h] = static_cast<double>(s_key);
      const Matrix& gram_o = grams[static_cast<std::size_t>(lh)];
      for (std::int64_t b = 0; b < p.B; ++b) {
        const std::vector<double> norm = row_norms(head_values(p, l, h, b), gram_o);
        const double total = std::accumulate(norm.begin(), norm.end(), 0.0);
        auto of = [&](std::int64_t k) {
          const double others = (total - norm[k]) / static_cast<double>(p.N - 1);
          return others > 0 ? norm[k] / others : 0.0;
        };
        ratio[l][h] += of(s_key);
        first_ratio[l][h] += of(p.first);
      }
      ratio[l][h] /= static_cast<double>(p.B);
      first_ratio[l][h] /= static_cast<double>(p.B);
    }
    record.set(dominant_key, dominant);
    record.set(value_norm_ratio, ratio);
    record.set(first_value_ratio, first_ratio);
  }
};

}  // namespace

std::unique_ptr<Metric> value_norm_metric() { return std::make_unique<ValueNorms>(); }

}  // namespace sinklab::analysis
