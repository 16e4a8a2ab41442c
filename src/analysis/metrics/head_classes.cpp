// Nop vs broadcast, part two ("A Unifying View of Attention Sinks"): how low-rank a head's update
// is, and each head's class from that and its value-norm ratio (metrics/value_norms.cpp). As its
// authors do, a head is classed only when it shows a sink event: most of its queries put most of
// their attention on one key (the dominant key).
#include "analysis/attention_metrics.h"
#include "analysis/fields.h"
#include "analysis/grid.h"
#include "analysis/head_slices.h"
#include "analysis/metric.h"

namespace sinklab::analysis {
namespace {

using namespace fields;

constexpr Field stable_rank_field{.key = "stable_rank",
                                  .layout = Layout::per_head,
                                  .unit = "rank",
                                  .doc = "‖U‖_F² / σ_1(U)² of the head's update U = A V W_O^h (N × d_model), probe mean; "
                                         "computed through a QR of A V"};
// A sink event: at least this share of the queries give at least this share of their attention to
// the dominant key.
constexpr double event_queries = 0.5, event_mass = 0.5;

constexpr Field sink_event_share{.key = "sink_event_share",
                                 .layout = Layout::per_head,
                                 .unit = "fraction",
                                 .doc = "share of the queries i ≥ first with A_is ≥ 0.5 on the head's dominant key s, probe mean; "
                                        "≥ 0.5 is a sink event"};
constexpr Field head_class{.key = "head_class",
                           .layout = Layout::head_labels,
                           .unit = "",
                           .doc = "no-sink without a sink event (sink_event_share < 0.5); otherwise nop (value_norm_ratio ≤ 0.2), "
                                  "broadcast (ratio ≥ 0.5 and stable_rank ≤ 1.5) or neither",
                           .labels = "nop broadcast neither no-sink"};

class HeadClasses : public Metric {
 public:
  std::string_view name() const override { return "head classes"; }
  std::vector<const Field*> fields() const override {
    return {&stable_rank_field, &sink_event_share, &head_class, &nop_count, &broadcast_count};
  }

  void compute(const ProbePass& p, Record& record) const override {
    Grid srank = grid(p.L, p.H), events = grid(p.L, p.H);
    std::vector<Matrix> grams;  // W_O^h W_O^hᵀ per (layer, head), looked up before the parallel loop
    for (std::int64_t l = 0; l < p.L; ++l) {
      const Tensor& wo = p.param("blocks." + std::to_string(l) + ".attn.wo.weight");
      for (std::int64_t h = 0; h < p.H; ++h) {
        const Matrix wo_h = head_out(wo, h, p.D);  // (C, D)
        grams.push_back(wo_h.transpose() * wo_h);
      }
    }
    // Heads are independent: one per thread (the probe pass is read-only).
#pragma omp parallel for schedule(dynamic)
    for (std::int64_t lh = 0; lh < p.L * p.H; ++lh) {
      const std::int64_t l = lh / p.H, h = lh % p.H;
      const Matrix& gram = grams[static_cast<std::size_t>(lh)];
      const std::int64_t s = p.dominant_key(l, h);
      for (std::int64_t b = 0; b < p.B; ++b) {
        srank[l][h] += stable_rank(head_mixed(p, l, h, b), gram);
        const HeadMap map = p.map(l, b, h);
        const float* a = map.data();
        double hits = 0;
        for (std::int64_t i = p.first; i < p.N; ++i) hits += a[i * p.N + s] >= event_mass;
        events[l][h] += hits / static_cast<double>(p.N - p.first);
      }
      srank[l][h] /= static_cast<double>(p.B);
      events[l][h] /= static_cast<double>(p.B);
    }
    const auto& ratio = record.get(value_norm_ratio);
    std::vector<std::vector<std::string>> classes(static_cast<std::size_t>(p.L), std::vector<std::string>(static_cast<std::size_t>(p.H)));
    int nops = 0, broadcasts = 0;
    for (std::int64_t l = 0; l < p.L; ++l)
      for (std::int64_t h = 0; h < p.H; ++h) {
        const double r = ratio[l][h].get<double>();
        const bool event = events[l][h] >= event_queries;
        const bool nop = event && r <= 0.2, broadcast = event && !nop && r >= 0.5 && srank[l][h] <= 1.5;
        classes[l][h] = !event ? "no-sink" : nop ? "nop" : broadcast ? "broadcast" : "neither";
        nops += nop;
        broadcasts += broadcast;
      }
    record.set(stable_rank_field, srank);
    record.set(sink_event_share, events);
    record.set(head_class, classes);
    record.set(nop_count, nops);
    record.set(broadcast_count, broadcasts);
  }
};

}  // namespace

std::unique_ptr<Metric> head_class_metric() { return std::make_unique<HeadClasses>(); }

}  // namespace sinklab::analysis
