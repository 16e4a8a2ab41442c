#include "report/query_classes.h"

#include <fmt/format.h>

#include <cmath>
#include <map>

namespace sinklab::report {
namespace {

using json = nlohmann::json;

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
      if (!last.contains("by_class")) continue;
      const json& free = last.at("by_class").at("no_attention");
      const json& need = last.at("by_class").at("needs_attention");
      std::map<std::string, int> counts;
      for (const auto& row : last.at("mechanism"))
        for (const auto& m : row) ++counts[m.get<std::string>()];
      std::string mech;
      for (const auto& [name, n] : counts) mech += fmt::format("{}{} {}", mech.empty() ? "" : ", ", name, n);
      const double logit = free.contains("sink_logit_mass") ? grid_mean(free.at("sink_logit_mass")) : NAN;
      const double gate_free = free.contains("gate_mean") ? grid_mean(free.at("gate_mean")) : NAN;
      const double gate_need = need.contains("gate_mean") ? grid_mean(need.at("gate_mean")) : NAN;
      auto metric = [&](const char* key) {
        return run.last_metrics.is_object() && run.last_metrics.contains(key) ? run.last_metrics.at(key).get<double>() : NAN;
      };
      json rec{{"run", run.name},
               {"variant", v.name},
               {"step", last.at("step")},
               {"mechanism", last.at("mechanism")},
               {"no_attention_first", grid_mean(free.at("sink_score"))},
               {"no_attention_diag", grid_mean(free.at("diag_score"))},
               {"no_attention_prev", grid_mean(free.at("prev_score"))},
               {"no_attention_sink_logit", nullable(logit)},
               {"gate_no_attention", nullable(gate_free)},
               {"gate_needs_attention", nullable(gate_need)},
               {"needs_attention_prev", grid_mean(need.at("prev_score"))},
               {"first_value_ratio", grid_mean(last.at("first_value_ratio"))},
               {"cost_qk", grid_mean(last.at("cost_qk"))},
               {"cost_ov", grid_mean(last.at("cost_ov"))},
               {"block_cost", vector_mean(last.at("block_cost"))},
               {"val_loss_needs_attn", nullable(metric("val_loss_needs_attn"))},
               {"val_loss_no_attn", nullable(metric("val_loss_no_attn"))}};
      t.records.push_back(rec);
      t.rows.push_back({run.name, mech, number(rec["no_attention_first"]), number(rec["no_attention_diag"]),
                        number(rec["no_attention_prev"]), number(logit),
                        std::isnan(gate_free) ? "—" : fmt::format("{} / {}", number(gate_free), number(gate_need)),
                        number(rec["needs_attention_prev"]), number(rec["first_value_ratio"]), number(rec["cost_qk"], 2),
                        number(rec["cost_ov"], 2), number(rec["block_cost"], 1), loss(metric("val_loss_needs_attn")),
                        loss(metric("val_loss_no_attn"))});
    }
  if (!t.rows.empty())
    t.header = {"run", "mechanism (heads)", "no-attn → first", "no-attn → self", "no-attn → previous", "no-attn → sink logit", "gate no-attn / needs-attn",
                "needs-attn → previous", "first value ratio", "C_QK", "C_OV", "block cost", "val loss needs attn", "val loss no attn"};
  return t;
}

std::string markdown_table(const Table& t) {
  if (t.rows.empty()) return "";
  std::string md = "|";
  for (const auto& h : t.header) md += " " + h + " |";
  md += "\n|";
  for (std::size_t i = 0; i < t.header.size(); ++i) md += "---|";
  md += "\n";
  for (const auto& row : t.rows) {
    md += "|";
    for (const auto& cell : row) md += " " + cell + " |";
    md += "\n";
  }
  return md;
}

std::string html_table(const Table& t) {
  if (t.rows.empty()) return "";
  std::string html = "<table><tr>";
  for (const auto& h : t.header) html += "<th>" + html_escape(h) + "</th>";
  html += "</tr>\n";
  for (const auto& row : t.rows) {
    html += "<tr>";
    for (const auto& cell : row) html += "<td>" + html_escape(cell) + "</td>";
    html += "</tr>\n";
  }
  return html + "</table>\n";
}

}  // namespace sinklab::report
