#include "report/compare.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <optional>
#include <set>

#include "analysis/fields.h"
#include "analysis/grid.h"
#include "analysis/registry.h"
#include "engine/error.h"
#include "io/atomic_file.h"
#include "io/npy.h"
#include "nn/model_config.h"
#include "report/against.h"
#include "report/field_summary.h"
#include "report/plots.h"
#include "report/query_classes.h"
#include "report/runs.h"
#include "report/table.h"
#include "train/run_folder.h"

namespace sinklab::report {
namespace {

namespace fs = std::filesystem;
namespace fields = analysis::fields;
using json = nlohmann::json;
using analysis::Axis;
using analysis::Field;
using analysis::Layout;
using Value = std::function<std::optional<double>(const json& record)>;

// The config key of the key mask (declared in nn/model_config.cpp), for runs whose records predate key_mask.
constexpr const char* mask_key = "model.attention.mask";

// A field's summary in a record (report/field_summary.h), at `eps` for per-ε fields.
Value summary_of(const Field& f, double eps = 0) {
  return [&f, eps](const json& r) { return field_summary(f, r, eps); };
}

struct Context {
  const Collection& runs;
  std::string x;
  double x_of(const json& r) const { return r.at(x == "tokens" ? fields::tokens.key : fields::step.key).get<double>(); }
  std::string x_label() const { return x == "tokens" ? "tokens seen" : "training step"; }
};

std::vector<Series> series(const Context& c, const Value& value) {
  std::vector<Series> out;
  for (const auto& v : c.runs.variants) {
    std::vector<std::vector<std::pair<double, double>>> seeds;
    for (const auto& run : v.runs) {
      std::vector<std::pair<double, double>> points;
      for (const auto& rec : run.analysis)
        if (auto y = value(rec)) points.emplace_back(c.x_of(rec), *y);
      if (!points.empty()) seeds.push_back(std::move(points));
    }
    if (!seeds.empty()) out.push_back(aggregate(v.name, seeds));
  }
  return out;
}

std::vector<Series> val_loss_series(const Context& c) {
  std::vector<Series> out;
  for (const auto& v : c.runs.variants) {
    std::vector<std::vector<std::pair<double, double>>> seeds;
    for (const auto& run : v.runs) {
      std::map<std::int64_t, std::int64_t> tokens(run.step_tokens.begin(), run.step_tokens.end());
      std::vector<std::pair<double, double>> points;
      for (const auto& [step, loss] : run.val_loss)
        points.emplace_back(c.x == "tokens" ? static_cast<double>(tokens[step]) : static_cast<double>(step), loss);
      if (!points.empty()) seeds.push_back(std::move(points));
    }
    if (!seeds.empty()) out.push_back(aggregate(v.name, seeds));
  }
  return out;
}

// First x at which the mean curve reaches `fraction` of its final value (none if that is 0).
std::optional<double> emergence(const Series& s, double fraction) {
  if (s.points.empty() || s.points.back().mean <= 0) return std::nullopt;
  for (const auto& p : s.points)
    if (p.mean >= fraction * s.points.back().mean) return p.x;
  return std::nullopt;
}

// The last point of a variant's curve: the mean over seeds and their min and max.
std::optional<Band> final_band(const std::vector<Series>& all, const std::string& variant) {
  for (const auto& s : all)
    if (s.variant == variant && !s.points.empty()) return s.points.back();
  return std::nullopt;
}

double final_mean(const std::vector<Series>& all, const std::string& variant) {
  const auto b = final_band(all, variant);
  return b ? b->mean : std::nan("");
}

std::string number(double v, int digits = 4) { return std::isnan(v) ? "—" : fmt::format("{:.{}f}", v, digits); }

// A summary cell: the mean, and the seeds' range when there are several (a claim needs its spread).
std::string band_cell(const std::optional<Band>& b, int digits) {
  if (!b) return "—";
  if (b->count < 2) return number(b->mean, digits);
  return fmt::format("{} [{}–{}]", number(b->mean, digits), number(b->min, digits), number(b->max, digits));
}
json nullable(double v) { return std::isnan(v) ? json(nullptr) : json(v); }

// Every threshold any run recorded, in increasing order.
std::vector<double> thresholds(const Collection& runs) {
  std::set<double> all;
  for (const auto& v : runs.variants)
    for (const auto& run : v.runs)
      for (const auto& r : run.analysis)
        for (const auto& e : r.at(fields::eps.key)) all.insert(e.get<double>());
  return {all.begin(), all.end()};
}

// The probe shape every run analysed with, when they share one (chance levels depend on it).
std::optional<analysis::ProbeShape> shared_probe(const Collection& runs) {
  std::optional<analysis::ProbeShape> shape;
  for (const auto& v : runs.variants)
    for (const auto& run : v.runs) {
      const json& r = run.analysis.front();
      auto s = analysis::recorded_probe(r);
      if (!s) return std::nullopt;
      // Records from before the key mask was recorded take it from the run's config.
      if (analysis::find(r, fields::key_mask) == nullptr) {
        const auto config = flat_config(run.dir);
        const auto it = config.find(mask_key);
        if (it != config.end()) {
          const auto named = config::enum_value<ops::KeyMask>(it->second);
          if (!named) fail("{}: {} is '{}', not one of: {}", (run.dir / train::run_marker).string(), mask_key, it->second, fields::key_mask.labels);
          s->mask = *named;
        }
      }
      if (shape && (shape->positions != s->positions || shape->first != s->first || shape->mask != s->mask)) return std::nullopt;
      shape = s;
    }
  return shape;
}

// "uniform attention (N = 64)", with the key mask when one hides a key.
std::string uniform_label(const analysis::ProbeShape& probe) {
  const std::string mask = probe.mask == ops::KeyMask::causal ? "" : fmt::format(", {}", config::enum_name(probe.mask));
  return fmt::format("uniform attention (N = {}{})", probe.positions, mask);
}

std::optional<double> chance_of(const Field& f, const std::optional<analysis::ProbeShape>& probe, double eps) {
  if (!probe) return std::nullopt;
  if (f.chance) return f.chance(*probe);
  if (f.chance_at) return f.chance_at(*probe, eps);
  return std::nullopt;
}

// A summary-table column: a field (at one ε for a per-ε field), its title and its key in summary.json.
struct Column {
  const Field* field;
  double eps;
  std::string title, key;
  std::vector<Series> curves;
};

}  // namespace

CompareResult compare(const CompareOptions& opt) {
  if (opt.x != "step" && opt.x != "tokens") fail("compare: --x must be step or tokens, got '{}'", opt.x);
  const Collection runs = collect_runs(opt.inputs);
  CompareResult result;
  result.skipped = runs.skipped;
  if (!opt.out.empty()) {
    result.out = opt.out;
  } else if (!runs.ablation.empty()) {
    result.out = opt.inputs[0] / "compare";
  } else {
    const std::time_t now = std::time(nullptr);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
    result.out = opt.runs_dir / (std::string("compare-") + stamp);
  }
  fs::create_directories(result.out);
  const fs::path& out = result.out;
  const Context c{runs, opt.x};
  PlotStyle style{.xlabel = c.x_label(), .width = opt.width, .height = opt.height};
  auto plot = [&](const std::string& name, const std::string& title, const std::string& ylabel, const std::vector<Series>& s,
                  Axis y = Axis::linear) {
    if (s.empty()) return;  // no run has the field (registers, gates, query classes, ...)
    style.title = title;
    style.ylabel = ylabel;
    style.log_y = y == Axis::log && std::ranges::all_of(s, [](const Series& one) {
                    return std::ranges::all_of(one.points, [](const Band& b) { return b.min > 0; });
                  });
    line_plot(out, name, s, style);
    result.files.push_back(name + ".png");
  };

  // A curve over training for every field that declares a plot (one per threshold for per-ε
  // fields), with its value under uniform attention as a dashed line where it has one.
  const auto eps = thresholds(runs);
  const double strict = eps.back();
  const auto probe = shared_probe(runs);
  for (const Field* f : analysis::record_fields()) {
    if (f->plot.file.empty()) continue;
    const bool per_eps = f->layout == Layout::per_eps;
    for (double e : per_eps ? eps : std::vector<double>{0}) {
      style.reference = chance_of(*f, probe, e);
      style.reference_label = probe ? uniform_label(*probe) : "";
      if (per_eps)
        plot(fmt::format("{}_eps{}", f->plot.file, e), fmt::format("{} (ε = {})", f->plot.title, e),
             fmt::format("{} (ε = {})", f->plot.ylabel, e), series(c, summary_of(*f, e)), f->plot.y);
      else
        plot(std::string(f->plot.file), std::string(f->plot.title), std::string(f->plot.ylabel), series(c, summary_of(*f)), f->plot.y);
    }
  }
  style.reference.reset();
  if (!opt.against.empty())
    for (const auto& f : plots_against(runs, opt.against, strict, opt.slopes, out, style)) result.files.push_back(f);
  const auto val = val_loss_series(c);
  plot("val_loss", "Validation loss", "cross-entropy (nats/token)", val);

  // Oversmoothing by layer at the final analysis.
  {
    std::vector<Series> by_layer;
    for (const auto& v : runs.variants) {
      std::vector<std::vector<std::pair<double, double>>> seeds;
      for (const auto& run : v.runs) {
        const json* last = analysis::find(run.analysis.back(), fields::oversmoothing_out);
        if (last == nullptr) continue;
        std::vector<std::pair<double, double>> pts;
        for (std::size_t l = 0; l < last->size(); ++l) pts.emplace_back(static_cast<double>(l), (*last)[l].get<double>());
        seeds.push_back(pts);
      }
      if (!seeds.empty()) by_layer.push_back(aggregate(v.name, seeds));
    }
    PlotStyle s = style;
    s.title = "Oversmoothing by layer at the final analysis";
    s.xlabel = "layer";
    s.ylabel = "mean pairwise cosine of token states (block output)";
    if (!by_layer.empty()) {
      line_plot(out, "oversmoothing_by_layer", by_layer, s);
      result.files.push_back("oversmoothing_by_layer.png");
    }
  }

  // Final per-head sink scores, layer x head, one heatmap per variant (mean over seeds).
  std::vector<std::string> names;
  std::vector<std::vector<std::vector<double>>> heat;
  for (const auto& v : runs.variants) {
    std::vector<std::vector<double>> mean;
    for (const auto& run : v.runs) {
      const auto g = run.analysis.back().at(fields::sink_score.key).get<std::vector<std::vector<double>>>();
      if (mean.empty()) mean.assign(g.size(), std::vector<double>(g.empty() ? 0 : g[0].size(), 0.0));
      if (g.size() != mean.size() || (!g.empty() && g[0].size() != mean[0].size()))
        fail("compare: the seeds of variant '{}' have different layer x head shapes ({} differs)", v.name, run.name);
      for (std::size_t l = 0; l < g.size(); ++l)
        for (std::size_t h = 0; h < g[l].size(); ++h) mean[l][h] += g[l][h] / static_cast<double>(v.runs.size());
    }
    names.push_back(v.name);
    heat.push_back(mean);
  }
  {
    PlotStyle s = style;
    s.title = "Final sink score per head (layer x head)";
    const int cols = std::min<int>(3, static_cast<int>(names.size()));
    s.width = std::max(480, 380 * cols);
    s.height = 400 * ((static_cast<int>(names.size()) + cols - 1) / cols) + 40;
    heatmaps(out, "sink_score_heatmap", names, heat, s, "layer", "head");
    result.files.push_back("sink_score_heatmap.png");
  }

  // Attention snapshots of the first seed: early, middle, final; first and last layer, heads 0 and 1.
  for (const auto& v : runs.variants) {
    const auto& run = v.runs.front();
    std::vector<const json*> snaps;
    for (const auto& r : run.analysis)
      if (const json* s = analysis::find(r, fields::snapshot); s != nullptr && fs::exists(run.dir / s->get<std::string>()))
        snaps.push_back(&r);
    if (snaps.empty()) continue;
    std::vector<const json*> picked{snaps.front(), snaps[snaps.size() / 2], snaps.back()};
    picked.erase(std::unique(picked.begin(), picked.end()), picked.end());
    std::vector<std::vector<std::vector<float>>> panels;
    std::vector<std::string> titles;
    std::int64_t n = 0;
    int columns = 0;
    for (const json* r : picked) {
      const fs::path file = run.dir / r->at(fields::snapshot.key).get<std::string>();
      const Tensor maps = io::read_npy(file, 4);  // (L, H, n, n)
      const std::int64_t L = maps.shape()[0], H = maps.shape()[1];
      n = maps.shape()[2];
      const auto& grid = r->at(fields::sink_score.key);
      if (L != static_cast<std::int64_t>(grid.size()) || H != static_cast<std::int64_t>(grid[0].size()) || maps.shape()[3] != n || n < 1)
        fail("{}: holds maps of shape {}, but the run has {} layers x {} heads of square maps", file.string(),
             to_string(maps.shape()), grid.size(), grid[0].size());
      std::vector<std::pair<std::int64_t, std::int64_t>> heads;
      for (std::int64_t l : {std::int64_t{0}, L - 1})
        for (std::int64_t h : {std::int64_t{0}, std::min<std::int64_t>(1, H - 1)})
          if (std::find(heads.begin(), heads.end(), std::pair{l, h}) == heads.end()) heads.emplace_back(l, h);
      columns = static_cast<int>(heads.size());
      std::vector<std::vector<float>> row;
      for (const auto& [l, h] : heads) {
        const float* m = maps.data<float>() + (l * H + h) * n * n;
        row.emplace_back(m, m + n * n);
        titles.push_back(fmt::format("step {} L{} H{}", r->at(fields::step.key).get<std::int64_t>(), l, h));
      }
      panels.push_back(std::move(row));
    }
    PlotStyle s = style;
    s.title = fmt::format("{}: probe-mean attention maps (rows: queries, columns: keys; white = 1)", v.name);
    s.width = std::max(640, 260 * columns);  // room for the title when a model has one head
    s.height = 270 * static_cast<int>(panels.size()) + 40;
    std::string file = "attention_" + v.name;
    for (auto& ch : file)
      if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-' && ch != '.') ch = '_';
    map_grid(out, file, panels, n, titles, columns, s);
    result.files.push_back(file + ".png");
  }

  // The summary table: final validation loss, the emergence of the strict sink rate, and the final
  // value of every field that declares a summary column (per ε for per-ε fields).
  const std::string baseline = opt.baseline.empty() ? runs.variants.front().name : opt.baseline;
  if (std::none_of(runs.variants.begin(), runs.variants.end(), [&](const Variant& v) { return v.name == baseline; }))
    fail("compare: --baseline '{}' is not one of the variants", baseline);
  std::vector<Column> columns;
  for (const Field* f : analysis::record_fields()) {
    if (f->summary.empty()) continue;
    if (f->layout == Layout::per_eps) {
      for (double e : eps)
        columns.push_back({f, e, fmt::format("{} ε={}", f->summary, e), fmt::format("{}_{}", f->csv, e), series(c, summary_of(*f, e))});
    } else {
      columns.push_back({f, 0, std::string(f->summary), std::string(f->csv), series(c, summary_of(*f))});
    }
  }
  const auto strict_rate = series(c, summary_of(fields::sink_rate, strict));
  Table table;
  table.header = {"variant", "seeds", "final val loss (Δ)", fmt::format("emergence ({}) 10% / 50%", opt.x)};
  for (const auto& col : columns) table.header.push_back(col.title + (col.field == &fields::sink_rate && col.eps == strict ? " (Δ)" : ""));
  for (const auto& v : runs.variants) {
    const Series* rate = nullptr;
    for (const auto& s : strict_rate)
      if (s.variant == v.name) rate = &s;
    const auto e10 = rate ? emergence(*rate, 0.1) : std::nullopt, e50 = rate ? emergence(*rate, 0.5) : std::nullopt;
    auto at = [](const std::optional<double>& x) { return x ? fmt::format("{:.0f}", *x) : std::string("—"); };
    const double vl = final_mean(val, v.name), d_vl = vl - final_mean(val, baseline);
    json record{{"variant", v.name}, {"seeds", v.runs.size()}, {"val_loss", nullable(vl)}, {"val_loss_vs_baseline", nullable(d_vl)},
                {"emergence_10pct", e10 ? json(*e10) : json(nullptr)}, {"emergence_50pct", e50 ? json(*e50) : json(nullptr)}};
    std::vector<std::string> row{v.name, std::to_string(v.runs.size()),
                                 fmt::format("{} ({:+.4f})", band_cell(final_band(val, v.name), 4), d_vl),
                                 fmt::format("{} / {}", at(e10), at(e50))};
    for (const auto& col : columns) {
      const double value = final_mean(col.curves, v.name);
      const int digits = col.field->layout == Layout::count ? 1 : col.field->unit == "sum of squares" ? 2 : 4;
      record[col.key] = nullable(value);
      std::string cell = band_cell(final_band(col.curves, v.name), digits);
      if (col.field == &fields::sink_rate && col.eps == strict) {
        const double delta = value - final_mean(col.curves, baseline);
        record["sink_rate_vs_baseline"] = nullable(delta);
        cell += fmt::format(" ({:+.4f})", delta);
      }
      row.push_back(cell);
    }
    table.rows.push_back(row);
    table.records.push_back(record);
  }
  if (probe) {
    // The chance level of each column, to read the numbers against.
    std::vector<std::string> row{uniform_label(*probe), "", "", ""};
    for (const auto& col : columns) {
      const auto level = chance_of(*col.field, probe, col.eps);
      row.push_back(level ? number(*level) : "");
    }
    table.rows.push_back(row);
  }
  io::write_file_atomic(out / "summary.json", table.records.dump(2) + "\n");
  const Table classes = query_class_table(runs);
  const std::string class_note =
      "Synthetic task, at the final analysis, per run. *mechanism*: how each head treats the queries that need no attention "
      "(gate: the head's output gate there is below 0.1; else sink: most mass on the first position, diagonal: on itself, "
      "sink-logit: on the extra softmax column, each only when above the largest analysis ε; other: none of these). Arrows: mean attention of those queries (no-attn) and of the queries that need "
      "attention (needs-attn) to a position. First value ratio: ‖v_first W_O‖ over the mean of the other positions' (≈ 0: a "
      "nop sink). Costs and losses as in docs/metrics.md.";
  if (!classes.rows.empty()) io::write_file_atomic(out / "query_classes.json", classes.records.dump(2) + "\n");

  std::size_t run_count = 0;
  for (const auto& v : runs.variants) run_count += v.runs.size();
  const std::string title = fmt::format("sinklab comparison{}", runs.ablation.empty() ? "" : ": " + runs.ablation);
  const std::string intro =
      fmt::format("{} variants from {} runs; x axis: {}; differences are against {}; lines are the mean over seeds and the shaded "
                  "band spans the seeds' min to max; table cells are the final mean [min–max over seeds]. Definitions: docs/metrics.md.",
                  runs.variants.size(), run_count, c.x_label(), baseline);
  const std::string emergence_note = fmt::format("Emergence: the first analysis {} at which the mean sink rate (ε = {}) reached 10% "
                                                 "and 50% of its final value (— when the final rate is 0).",
                                                 opt.x, strict);
  const std::string skipped = runs.skipped.empty() ? "" : "Skipped: " + fmt::format("{}", fmt::join(runs.skipped, "; "));

  std::string md = "# " + title + "\n\n" + intro + "\n\n";
  if (!skipped.empty()) md += skipped + "\n\n";
  md += markdown_table(table) + "\n" + emergence_note + "\n\n";
  if (!classes.rows.empty()) md += "## Query classes\n\n" + class_note + "\n\n" + markdown_table(classes) + "\n";
  for (const auto& f : result.files) md += fmt::format("![{}]({})\n\n", f.substr(0, f.size() - 4), f);
  io::write_file_atomic(out / "report.md", md);

  std::string html = "<!doctype html><html><head><meta charset='utf-8'><title>sinklab comparison</title><style>"
                     "body{font-family:sans-serif;max-width:1200px;margin:2em auto}table{border-collapse:collapse;font-size:13px}"
                     "td,th{border:1px solid #ccc;padding:4px 6px;text-align:right}td:first-child{text-align:left}"
                     "img{max-width:100%;margin:1em 0;border:1px solid #eee}</style></head><body>\n";
  html += "<h1>" + html_escape(title) + "</h1>\n<p>" + html_escape(intro) + "</p>\n";
  if (!skipped.empty()) html += "<p>" + html_escape(skipped) + "</p>\n";
  html += html_table(table) + "<p>" + html_escape(emergence_note) + "</p>\n";
  if (!classes.rows.empty()) html += "<h2>Query classes</h2>\n<p>" + html_escape(class_note) + "</p>\n" + html_table(classes);
  for (const auto& f : result.files) html += fmt::format("<div><img src='{}' alt='{}'></div>\n", f, f);
  html += "</body></html>\n";
  io::write_file_atomic(out / "report.html", html);
  return result;
}

}  // namespace sinklab::report
