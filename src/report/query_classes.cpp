#include "report/query_classes.h"

#include <fmt/format.h>

#include <cmath>
#include <map>

#include "analysis/fields.h"
#include "analysis/grid.h"
#include "analysis/metric.h"
#include "train/metrics.h"

namespace sinklab::report {
namespace {

using json = nlohmann::json;
namespace fields = analysis::fields;
namespace keys = train::metric_keys;

std::string number(double v, int digits = 3) { return std::isnan(v) ? "—" : fmt::format("{:.{}f}", v, digits); }

// Three significant digits: a solved task's losses are far below 1e-4.
std::string loss(double v) { return std::isnan(v) ? "—" : fmt::format("{:.3g}", v); }

// NaN marks a value the run does not have: null in JSON.
json nullable(double v) { return std::isnan(v) ? json(nullptr) : json(v); }

}  // namespace

Table query_class_table(const Collection& runs) {
  Table t;
  for (const auto& v : runs.variants)
    for (const auto& run : v.runs) {
      const json& last = run.analysis.back();
      const json* mechanisms = analysis::find(last, fields::mechanism);
      if (mechanisms == nullptr) continue;
      std::map<std::string, int> counts;
      for (const auto& row : *mechanisms)
        for (const auto& m : row) ++counts[m.get<std::string>()];
      std::string mech;
      for (const auto& [name, n] : counts) mech += fmt::format("{}{} {}", mech.empty() ? "" : ", ", name, n);
      auto mean = [&](const analysis::Field& f) {
        const json* v = analysis::find(last, f);
        return v == nullptr ? NAN : f.layout == analysis::Layout::per_layer ? analysis::list_mean(*v) : analysis::grid_mean(*v);
      };
      const double logit = mean(fields::free_sink_logit), gate_free = mean(fields::free_gate), gate_need = mean(fields::needs_gate);
      auto metric = [&](const char* key) {
        return run.last_metrics.is_object() && run.last_metrics.contains(key) ? run.last_metrics.at(key).get<double>() : NAN;
      };
      json rec{{"run", run.name},
               {"variant", v.name},
               {"step", last.at(fields::step.key)},
               {"mechanism", *mechanisms},
               {"no_attention_first", mean(fields::free_first)},
               {"no_attention_diag", mean(fields::free_diag)},
               {"no_attention_prev", mean(fields::free_prev)},
               {"no_attention_sink_logit", nullable(logit)},
               {"gate_no_attention", nullable(gate_free)},
               {"gate_needs_attention", nullable(gate_need)},
               {"needs_attention_prev", mean(fields::needs_prev)},
               {"first_value_ratio", mean(fields::first_value_ratio)},
               {"cost_qk", mean(fields::cost_qk)},
               {"cost_ov", mean(fields::cost_ov)},
               {"block_cost", mean(fields::block_cost)},
               {keys::val_loss_needs_attn, nullable(metric(keys::val_loss_needs_attn))},
               {keys::val_loss_no_attn, nullable(metric(keys::val_loss_no_attn))}};
      t.records.push_back(rec);
      t.rows.push_back({run.name, mech, number(rec["no_attention_first"]), number(rec["no_attention_diag"]),
                        number(rec["no_attention_prev"]), number(logit),
                        std::isnan(gate_free) ? "—" : fmt::format("{} / {}", number(gate_free), number(gate_need)),
                        number(rec["needs_attention_prev"]), number(rec["first_value_ratio"]), number(rec["cost_qk"], 2),
                        number(rec["cost_ov"], 2), number(rec["block_cost"], 1), loss(metric(keys::val_loss_needs_attn)),
                        loss(metric(keys::val_loss_no_attn))});
    }
  if (!t.rows.empty())
    t.header = {"run", "mechanism (heads)", "no-attn → first", "no-attn → self", "no-attn → previous", "no-attn → sink logit", "gate no-attn / needs-attn",
                "needs-attn → previous", "first value ratio", "C_QK", "C_OV", "block cost", "val loss needs attn", "val loss no attn"};
  return t;
}

}  // namespace sinklab::report
