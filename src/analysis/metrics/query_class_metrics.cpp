// Synthetic tasks: attention split by query class (analysis/query_classes.h), and how each head
// switches itself off on the queries that need no attention.
#include <algorithm>
#include <array>

#include "analysis/fields.h"
#include "analysis/grid.h"
#include "analysis/metric.h"
#include "analysis/query_classes.h"

namespace sinklab::analysis {
namespace {

using namespace fields;

struct ClassFields {
  const Field &queries, &first, &diag, &prev, &entropy, &sink_logit, &gate;
};
constexpr std::array<std::pair<int, ClassFields>, 2> classes{{
    {1, {needs_queries, needs_first, needs_diag, needs_prev, needs_entropy, needs_sink_logit, needs_gate}},
    {0, {free_queries, free_first, free_diag, free_prev, free_entropy, free_sink_logit, free_gate}},
}};

class QueryClasses : public Metric {
 public:
  std::string_view name() const override { return "query classes"; }
  std::vector<const Field*> fields() const override {
    std::vector<const Field*> out;
    for (const auto& [k, f] : classes) out.insert(out.end(), {&f.queries, &f.first, &f.diag, &f.prev, &f.entropy, &f.sink_logit, &f.gate});
    out.push_back(&fields::mechanism);
    return out;
  }

  void compute(const ProbePass& p, Record& record) const override {
    const std::int32_t* needs = p.needs_attention();
    if (needs == nullptr) return;
    const bool gated = p.model().attention.gate != nn::GateKind::none;
    const bool logit = p.model().attention.sink_logit != nn::SinkLogit::none;
    // [layer][head][no attention, needs attention]
    std::vector<std::vector<std::array<ClassSums, 2>>> sums(static_cast<std::size_t>(p.L),
                                                             std::vector<std::array<ClassSums, 2>>(static_cast<std::size_t>(p.H)));
    for (std::int64_t l = 0; l < p.L; ++l)
      for (std::int64_t h = 0; h < p.H; ++h) {
        // The head's mean gate at each position.
        std::vector<float> head_gate;
        if (const Tensor* g = p.gate(l)) {
          const std::int64_t G = g->shape()[2], width = G / p.H;
          const float* pg = g->data<float>();
          head_gate.resize(static_cast<std::size_t>(p.B * p.N));
          for (std::int64_t q = 0; q < p.B * p.N; ++q) {
            double m = 0;
            for (std::int64_t d = 0; d < width; ++d) m += pg[q * G + h * width + d];
            head_gate[q] = static_cast<float>(m / static_cast<double>(width));
          }
        }
        for (std::int64_t b = 0; b < p.B; ++b)
          add_class_sums(p.map(l, b, h).data(), p.N, p.first, needs + b * p.T,
                         head_gate.empty() ? nullptr : head_gate.data() + b * p.N, sums[l][h].data());
      }
    for (const auto& [k, f] : classes) {
      Grid first = grid(p.L, p.H), diag = grid(p.L, p.H), prev = grid(p.L, p.H), ent = grid(p.L, p.H), column = grid(p.L, p.H),
           gate = grid(p.L, p.H);
      for (std::int64_t l = 0; l < p.L; ++l)
        for (std::int64_t h = 0; h < p.H; ++h) {
          const ClassSums& c = sums[l][h][k];
          const double n = std::max(1.0, c.queries);
          first[l][h] = c.first / n, diag[l][h] = c.diag / n, prev[l][h] = c.prev / n, ent[l][h] = c.entropy / n;
          column[l][h] = c.queries > 0 ? 1 - c.row_mass / n : 0, gate[l][h] = c.gate / n;
        }
      record.set(f.queries, sums[0][0][k].queries);
      record.set(f.first, first);
      record.set(f.diag, diag);
      record.set(f.prev, prev);
      record.set(f.entropy, ent);
      if (logit) record.set(f.sink_logit, column);
      if (gated) record.set(f.gate, gate);
    }
    const double threshold = *std::max_element(p.config().eps.begin(), p.config().eps.end());
    std::vector<std::vector<std::string>> names(static_cast<std::size_t>(p.L), std::vector<std::string>(static_cast<std::size_t>(p.H)));
    for (std::int64_t l = 0; l < p.L; ++l)
      for (std::int64_t h = 0; h < p.H; ++h) names[l][h] = analysis::mechanism(sums[l][h][0], threshold, logit, gated);
    record.set(fields::mechanism, names);
  }
};

}  // namespace

std::unique_ptr<Metric> query_class_metric() { return std::make_unique<QueryClasses>(); }

}  // namespace sinklab::analysis
