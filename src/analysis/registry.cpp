#include "analysis/registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "analysis/fields.h"
#include "analysis/grid.h"
#include "engine/error.h"
#include "nn/model_config.h"

namespace sinklab::analysis {

// The metrics, each defined in its own file under analysis/metrics/.
std::unique_ptr<Metric> attention_map_metric();
std::unique_ptr<Metric> gate_metric();
std::unique_ptr<Metric> value_norm_metric();
std::unique_ptr<Metric> query_class_metric();
std::unique_ptr<Metric> head_class_metric();
std::unique_ptr<Metric> residual_stream_metric();
std::unique_ptr<Metric> weight_cost_metric();
std::unique_ptr<Metric> normalized_entropy_metric();
std::unique_ptr<Metric> head_output_metric();
std::unique_ptr<Metric> smoothing_metric();
std::unique_ptr<Metric> bos_alignment_metric();

const std::vector<std::unique_ptr<Metric>>& metrics() {
  static const auto all = [] {
    std::vector<std::unique_ptr<Metric>> m;
    m.push_back(attention_map_metric());
    m.push_back(gate_metric());
    m.push_back(value_norm_metric());
    m.push_back(query_class_metric());
    m.push_back(head_class_metric());  // reads value_norm_ratio
    m.push_back(residual_stream_metric());
    m.push_back(weight_cost_metric());
    m.push_back(normalized_entropy_metric());
    m.push_back(head_output_metric());
    m.push_back(smoothing_metric());
    m.push_back(bos_alignment_metric());
    return m;
  }();
  return all;
}

const std::vector<const Field*>& record_fields() {
  static const auto all = [] {
    std::vector<const Field*> f{&fields::step, &fields::tokens};
    for (const auto& m : metrics())
      for (const Field* field : m->fields()) f.push_back(field);
    f.push_back(&fields::snapshot);
    return f;
  }();
  return all;
}

std::vector<std::pair<std::string, double>> csv_columns(const Json& record) {
  std::vector<std::pair<std::string, double>> out;
  const Json* eps = find(record, fields::eps);
  for (const Field* f : record_fields()) {
    const Json* v = find(record, *f);
    if (f->csv.empty() || v == nullptr) continue;
    const std::string name(f->csv);
    switch (f->layout) {
      case Layout::scalar:
      case Layout::count: out.emplace_back(name, v->get<double>()); break;
      case Layout::per_head: out.emplace_back(name, grid_mean(*v)); break;
      case Layout::per_layer: out.emplace_back(name, list_mean(*v)); break;
      case Layout::per_eps:
        for (std::size_t i = 0; eps != nullptr && i < eps->size(); ++i)
          out.emplace_back(fmt::format("{}_{}", name, (*eps)[i].get<double>()), (*v)[i].get<double>());
        break;
      case Layout::head_labels: {
        std::istringstream labels{std::string(f->labels)};
        for (std::string label; labels >> label;) {
          double n = 0;
          for (const auto& row : *v)
            for (const auto& x : row) n += x.get<std::string>() == label;
          std::replace(label.begin(), label.end(), '-', '_');
          out.emplace_back(name + "_" + label, n);
        }
        break;
      }
      case Layout::per_eps_layer:
      case Layout::per_eps_head:
      case Layout::per_site_quantiles:
      case Layout::text: break;  // per-ε grids are summarised by their per-ε field
    }
  }
  return out;
}

std::string headline(const Json& r) {
  const auto& eps = r.at(fields::eps.key);
  std::string rates;
  for (std::size_t e = 0; e < eps.size(); ++e)
    rates += fmt::format(" {}:{:.3f}", eps[e].get<double>(), r.at(fields::sink_rate.key)[e].get<double>());
  return fmt::format("sink rate{} | max sink score {:.3f} | {} switch heads", rates, r.at(fields::sink_score_max.key).get<double>(),
                     r.at(fields::switch_count.key).get<int>());
}

std::optional<ProbeShape> recorded_probe(const Json& record, ops::KeyMask mask_if_unrecorded) {
  const Json *n = find(record, fields::probe_positions), *at = find(record, fields::first_position), *mask = find(record, fields::key_mask);
  if (n == nullptr || at == nullptr) return std::nullopt;
  ProbeShape probe{n->get<std::int64_t>(), at->get<std::int64_t>(), mask_if_unrecorded};
  if (mask != nullptr) {
    const auto named = mask->is_string() ? config::enum_value<ops::KeyMask>(mask->get<std::string>()) : std::nullopt;
    if (!named) fail("analysis record: '{}' is {}, not one of: {}", fields::key_mask.key, mask->dump(), fields::key_mask.labels);
    probe.mask = *named;
  }
  return probe;
}

std::string emergence_table(const Json& first, const Json& last) {
  const auto eps = last.at(fields::eps.key).get<std::vector<double>>();
  const std::size_t strict = static_cast<std::size_t>(std::max_element(eps.begin(), eps.end()) - eps.begin());
  // Records written before the probe's shape was recorded have no uniform column.
  const auto shape = recorded_probe(last);
  const ProbeShape probe = shape.value_or(ProbeShape{});
  const auto step = [](const Json& r) { return r.at(fields::step.key).get<std::int64_t>(); };
  const std::string masked = probe.mask == ops::KeyMask::causal ? "" : fmt::format(" over the keys it sees under {}", config::enum_name(probe.mask));
  std::string out = fmt::format("emergence, step {} to {} (probe: {} positions; uniform: every query spreads its attention evenly{})\n",
                                step(first), step(last), probe.positions, masked);
  out += fmt::format("  {:<28} {:>9} {:>9} {:>9}\n", "", fmt::format("step {}", step(first)), fmt::format("step {}", step(last)),
                     "uniform");
  auto row = [&](const std::string& name, double a, double b, double uniform) {
    out += fmt::format("  {:<28} {:>9.3f} {:>9.3f} {:>9}\n", name, a, b, shape ? fmt::format("{:.3f}", uniform) : "—");
  };
  const auto rate = [&](const Json& r) { return r.at(fields::sink_rate.key)[strict].get<double>(); };
  row(fmt::format("sink rate (ε = {})", eps[strict]), rate(first), rate(last), chance::sink_rate(probe, eps[strict]));
  const auto& layers = last.at(fields::sink_rate_layer.key)[strict];
  for (std::size_t l = 0; l < layers.size(); ++l)
    row(fmt::format("  layer {}", l), first.at(fields::sink_rate_layer.key)[strict][l].get<double>(), layers[l].get<double>(),
        chance::sink_rate(probe, eps[strict]));
  row("first-token mass", grid_mean(first.at(fields::first_mass.key)), grid_mean(last.at(fields::first_mass.key)),
      chance::first_mass(probe));
  row("max head sink score", first.at(fields::sink_score_max.key).get<double>(), last.at(fields::sink_score_max.key).get<double>(),
      chance::sink_score(probe));
  row("median head sink score", first.at(fields::sink_score_median.key).get<double>(),
      last.at(fields::sink_score_median.key).get<double>(), chance::sink_score(probe));
  out.pop_back();
  return out;
}

std::string fields_markdown() {
  auto layout = [](Layout l) -> const char* {
    switch (l) {
      case Layout::scalar: return "number";
      case Layout::count: return "count";
      case Layout::per_eps: return "[eps]";
      case Layout::per_layer: return "[layer]";
      case Layout::per_head: return "[layer][head]";
      case Layout::per_eps_layer: return "[eps][layer]";
      case Layout::per_eps_head: return "[eps][layer][head]";
      case Layout::head_labels: return "[layer][head] names";
      case Layout::per_site_quantiles: return "[site][quantile]";
      case Layout::text: return "text";
    }
    return "";
  };
  constexpr ProbeShape default_probe{64, 0};
  std::string md = "| field | layout | unit | definition | uniform attention (N = 64, no registers, causal) | analysis.csv |\n|---|---|---|---|---|---|\n";
  for (const Field* f : record_fields()) {
    const std::string unit(f->layout == Layout::head_labels ? f->labels : f->unit);
    std::string csv;
    if (!f->csv.empty())
      csv = f->layout == Layout::per_eps ? fmt::format("`{}_<ε>`", f->csv)
            : f->layout == Layout::head_labels ? fmt::format("`{}_<name>` counts", f->csv)
            : f->layout == Layout::per_head || f->layout == Layout::per_layer ? fmt::format("`{}` (mean)", f->csv)
                                                                            : fmt::format("`{}`", f->csv);
    md += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", f->key, layout(f->layout), unit, f->doc,
                      f->chance      ? fmt::format("{:.4f}", f->chance(default_probe))
                      : f->chance_at ? fmt::format("{:g} (ε = 0.1), {:g} (ε = 0.3)", f->chance_at(default_probe, 0.1),
                                                   f->chance_at(default_probe, 0.3))
                                     : "",
                      csv);
  }
  return md;
}

}  // namespace sinklab::analysis
