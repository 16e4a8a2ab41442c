// Sink and diagonal statistics of every head's attention maps (analysis/attention_metrics.h holds
// the per-map arithmetic): scores, rates per ε, first-token, register and sink-column mass,
// entropy, and switch-like heads.
#include <algorithm>

#include "analysis/attention_metrics.h"
#include "analysis/fields.h"
#include "analysis/grid.h"
#include "analysis/metric.h"
#include "nn/model_config.h"

namespace sinklab::analysis {
namespace {

using namespace fields;

constexpr Field register_mass{.key = "register_mass",
                              .layout = Layout::per_head,
                              .unit = "attention",
                              .doc = "(registers only) mean_{i>first} Σ_{r<R} A_ir",
                              .csv = "register_mass",
                              .chance = chance::register_mass,
                              .plot = {"register_mass", "Attention mass on the registers (mean over heads, later queries)",
                                       "sum of attention to registers"},
                              .summary = "register mass"};
constexpr Field sink_logit_mass{
    .key = "sink_logit_mass",
    .layout = Layout::per_head,
    .unit = "attention",
    .doc = "(sink logit only) mean_{i>first} exp(b_h)/(exp(b_h)+Σ_j exp(s_ij)) = mean_{i>first} (1 − Σ_j A_ij)",
    .csv = "sink_logit_mass",
    .plot = {"sink_logit_mass", "Attention mass on the sink logit column (mean over heads)", "sink column weight"},
    .summary = "sink-logit mass"};
constexpr Field row_mass{.key = "row_mass",
                         .layout = Layout::per_head,
                         .unit = "attention",
                         .doc = "(unnormalised sigmoid only) mean_{i>first} Σ_j A_ij",
                         .csv = "row_mass",
                         .plot = {"sigmoid_row_mass", "Raw row mass of unnormalised sigmoid attention (mean over heads)",
                                  "sum of a row's weights"}};
constexpr Field diag_rate{.key = "diag_rate",
                          .layout = Layout::per_eps,
                          .unit = "fraction",
                          .doc = "share of (probe sequence, layer, head) with diagonal score D > ε",
                          .csv = "diag_rate",
                          .chance_at = chance::diag_rate};
constexpr Field switch_heads{.key = "switch_heads",
                             .layout = Layout::per_head,
                             .unit = "0 or 1",
                             .doc = "1 when sink score + diagonal score > 1 − δ (analysis.delta)"};
constexpr Field entropy{.key = "entropy",
                        .layout = Layout::per_head,
                        .unit = "nats",
                        .doc = "mean_{i>first} −Σ_j A_ij ln A_ij, probe mean",
                        .csv = "entropy",
                        .chance = chance::entropy};

class AttentionMaps : public Metric {
 public:
  std::string_view name() const override { return "attention maps"; }
  std::vector<const Field*> fields() const override {
    return {&probe_positions, &first_position, &key_mask, &eps, &sink_rate,       &sink_rate_layer, &sink_rate_head, &sink_score, &sink_score_max,
            &sink_score_median, &sink_score_p90, &first_mass, &register_mass, &sink_logit_mass, &row_mass,
            &diag_score, &diag_rate,       &switch_heads,    &switch_count,   &entropy};
  }

  void compute(const ProbePass& p, Record& record) const override {
    const auto& e = p.config().eps;
    const auto& attention = p.model().attention;
    Grid sink = grid(p.L, p.H), first = grid(p.L, p.H), registers = grid(p.L, p.H), mass = grid(p.L, p.H),
         diag = grid(p.L, p.H), ent = grid(p.L, p.H);
    std::vector<Grid> rate_head(e.size(), grid(p.L, p.H)), diag_rate_head(e.size(), grid(p.L, p.H));
    // Heads are independent: one per thread, each writing its own cells.
#pragma omp parallel for schedule(dynamic)
    for (std::int64_t lh = 0; lh < p.L * p.H; ++lh) {
      const std::int64_t l = lh / p.H, h = lh % p.H;
      for (std::int64_t b = 0; b < p.B; ++b) {
        const MapStats s = map_stats(p.map(l, b, h).data(), p.N, p.first);
        sink[l][h] += s.sink_score;
        first[l][h] += s.first_mass;
        registers[l][h] += s.register_mass;
        mass[l][h] += s.row_mass;
        diag[l][h] += s.diag_score;
        ent[l][h] += s.entropy;
        for (std::size_t i = 0; i < e.size(); ++i) {
          rate_head[i][l][h] += s.sink_score > e[i];
          diag_rate_head[i][l][h] += s.diag_score > e[i];
        }
      }
      for (Grid* g : {&sink, &first, &registers, &mass, &diag, &ent}) (*g)[l][h] /= static_cast<double>(p.B);
      for (auto& g : rate_head) g[l][h] /= static_cast<double>(p.B);
    }
    std::vector<double> rate(e.size()), diag_rates(e.size());
    std::vector<std::vector<double>> rate_layer(e.size(), std::vector<double>(static_cast<std::size_t>(p.L), 0.0));
    for (std::size_t i = 0; i < e.size(); ++i) {
      rate[i] = mean_of(rate_head[i]);
      for (std::int64_t l = 0; l < p.L; ++l) {
        for (double v : rate_head[i][l]) rate_layer[i][l] += v;
        rate_layer[i][l] /= static_cast<double>(p.H);
      }
      diag_rates[i] = mean_of(diag_rate_head[i]) / static_cast<double>(p.B);
    }
    record.set(probe_positions, p.N);
    record.set(first_position, p.first);
    record.set(key_mask, std::string(config::enum_name(p.shape().mask)));
    record.set(eps, e);
    record.set(sink_rate, rate);
    record.set(sink_rate_layer, rate_layer);
    record.set(sink_rate_head, rate_head);
    record.set(sink_score, sink);
    const auto scores = flat(sink);
    record.set(sink_score_max, *std::max_element(scores.begin(), scores.end()));
    record.set(sink_score_median, quantile(scores, 0.5));
    record.set(sink_score_p90, quantile(scores, 0.9));
    record.set(first_mass, first);
    if (p.R > 0) record.set(register_mass, registers);
    if (attention.sink_logit != nn::SinkLogit::none) {
      Grid column = mass;  // what the rows leave to the sink column
      for (auto& row : column)
        for (auto& v : row) v = 1 - v;
      record.set(sink_logit_mass, column);
    }
    if (attention.kind == nn::AttentionKind::sigmoid && !attention.normalize) record.set(row_mass, mass);
    record.set(diag_score, diag);
    record.set(diag_rate, diag_rates);
    std::vector<std::vector<int>> switches(static_cast<std::size_t>(p.L), std::vector<int>(static_cast<std::size_t>(p.H), 0));
    int count = 0;
    for (std::int64_t l = 0; l < p.L; ++l)
      for (std::int64_t h = 0; h < p.H; ++h) count += switches[l][h] = sink[l][h] + diag[l][h] > 1 - p.config().delta;
    record.set(switch_heads, switches);
    record.set(switch_count, count);
    record.set(entropy, ent);
  }
};

}  // namespace

std::unique_ptr<Metric> attention_map_metric() { return std::make_unique<AttentionMaps>(); }

}  // namespace sinklab::analysis
