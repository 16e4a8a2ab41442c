// How spread out each head's attention is, on a scale that does not grow with the position:
// a row's entropy over the largest it can have there, ln(k) for a query that sees k keys (k = i+1,
// one fewer from the second query on when model.attention.mask hides a key). 1 is uniform
// attention over everything the query sees, 0 all of it on one key; rows with one key are skipped.
#include <cmath>

#include "analysis/attention_metrics.h"
#include "analysis/chance.h"
#include "analysis/grid.h"
#include "analysis/metric.h"

namespace sinklab::analysis {
namespace {

constexpr Field entropy_normalized{
    .key = "entropy_normalized",
    .layout = Layout::per_head,
    .unit = "fraction",
    .doc = "mean_{i>first} (−Σ_j A_ij ln A_ij) / ln(k_i), probe mean, k_i the keys query i sees (i + 1, or i under a key mask; "
           "rows with one key skipped): 1 for uniform attention over the keys a query sees, 0 for all of it on one key",
    .csv = "entropy_normalized",
    .chance = [](const ProbeShape&) { return 1.0; },
    .plot = {"entropy_normalized", "Attention entropy over its largest possible value, ln of the keys a query sees (mean over heads)",
             "normalised entropy"}};

class NormalizedEntropy : public Metric {
 public:
  std::string_view name() const override { return "normalized entropy"; }
  std::vector<const Field*> fields() const override { return {&entropy_normalized}; }

  void compute(const ProbePass& p, Record& record) const override {
    Grid out = grid(p.L, p.H);
    std::int64_t rows = 0;
    for (std::int64_t i = p.first + 1; i < p.N; ++i) rows += chance::keys(p.shape(), i) >= 2;
    if (rows == 0) return record.set(entropy_normalized, out);
    // Heads are independent: one per thread, each writing its own cell.
#pragma omp parallel for schedule(dynamic)
    for (std::int64_t lh = 0; lh < p.L * p.H; ++lh) {
      const std::int64_t l = lh / p.H, h = lh % p.H;
      for (std::int64_t b = 0; b < p.B; ++b) {
        const HeadMap map = p.map(l, b, h);
        const float* a = map.data();
        double sum = 0;
        for (std::int64_t i = p.first + 1; i < p.N; ++i) {
          const std::int64_t keys = chance::keys(p.shape(), i);
          if (keys < 2) continue;
          sum += row_entropy(a + i * p.N, i + 1) / std::log(static_cast<double>(keys));
        }
        out[l][h] += sum / static_cast<double>(rows);
      }
      out[l][h] /= static_cast<double>(p.B);
    }
    record.set(entropy_normalized, out);
  }
};

}  // namespace

std::unique_ptr<Metric> normalized_entropy_metric() { return std::make_unique<NormalizedEntropy>(); }

}  // namespace sinklab::analysis
