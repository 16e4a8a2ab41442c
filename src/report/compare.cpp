#include "report/compare.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <optional>

#include "engine/error.h"
#include "io/atomic_file.h"
#include "io/npy.h"
#include "report/plots.h"
#include "report/query_classes.h"
#include "report/runs.h"

namespace sinklab::report {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Value = std::function<std::optional<double>(const json& record)>;

std::optional<std::size_t> eps_index(const json& record, double eps) {
  const auto all = record.at("eps").get<std::vector<double>>();
  for (std::size_t i = 0; i < all.size(); ++i)
    if (std::abs(all[i] - eps) < 1e-12) return i;
  return std::nullopt;  // a run that did not record this threshold has no point on its curve
}

Value grid_field(const char* key) {
  return [key](const json& r) -> std::optional<double> {
    if (!r.contains(key)) return std::nullopt;
    return grid_mean(r.at(key));
  };
}

Value vector_field(const char* key) {
  return [key](const json& r) -> std::optional<double> {
    if (!r.contains(key)) return std::nullopt;
    return vector_mean(r.at(key));
  };
}

Value sink_rate(double eps) {
  return [eps](const json& r) -> std::optional<double> {
    const auto i = eps_index(r, eps);
    if (!i) return std::nullopt;
    return r.at("sink_rate")[*i].get<double>();
  };
}

struct Context {
  const Collection& runs;
  std::string x;
  double x_of(const json& r) const { return r.at(x).get<double>(); }
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

double final_mean(const std::vector<Series>& all, const std::string& variant) {
  for (const auto& s : all)
    if (s.variant == variant && !s.points.empty()) return s.points.back().mean;
  return std::nan("");
}

std::string number(double v, int digits = 4) { return std::isnan(v) ? "—" : fmt::format("{:.{}f}", v, digits); }

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
  PlotStyle style{"", c.x_label(), "", opt.width, opt.height};
  auto plot = [&](const std::string& name, const std::string& title, const std::string& ylabel, const std::vector<Series>& s) {
    if (s.empty()) return;
    style.title = title;
    style.ylabel = ylabel;
    line_plot(out, name, s, style);
    result.files.push_back(name + ".png");
  };

  const auto rate03 = series(c, sink_rate(0.3)), rate01 = series(c, sink_rate(0.1));
  const auto first = series(c, grid_field("first_mass")), diag = series(c, grid_field("diag_score"));
  const auto cost_qk = series(c, grid_field("cost_qk")), cost_ov = series(c, grid_field("cost_ov"));
  const auto block = series(c, vector_field("block_cost")), smooth = series(c, vector_field("oversmoothing_out"));
  const auto val = val_loss_series(c);
  const auto max_score = series(c, [](const json& r) -> std::optional<double> { return r.at("sink_score_max").get<double>(); });
  plot("sink_rate", "Sink rate: share of (sequence, layer, head) with sink score > 0.3 (mean over seeds, band: min-max)",
       "sink rate (eps = 0.3)", rate03);
  plot("sink_rate_eps0.1", "Sink rate at eps = 0.1", "sink rate (eps = 0.1)", rate01);
  plot("sink_score_max", "Largest per-head sink score", "max over heads of the mean attention to the first token", max_score);
  plot("first_token_mass", "First-token mass: mean attention of later queries to the first token (mean over heads)",
       "attention to the first token", first);
  // Each only for the variants that have it; separate axes, as their scales differ by 100x.
  plot("register_mass", "Attention mass on the registers (mean over heads, later queries)", "sum of attention to registers",
       series(c, grid_field("register_mass")));
  plot("sink_logit_mass", "Attention mass on the sink logit column (mean over heads)", "sink column weight",
       series(c, grid_field("sink_logit_mass")));
  plot("sigmoid_row_mass", "Raw row mass of unnormalised sigmoid attention (mean over heads)", "sum of a row's weights",
       series(c, grid_field("row_mass")));
  plot("diagonal_score", "Diagonal score: mean attention of each token to itself (mean over heads)", "attention to self", diag);
  plot("cost_qk", "Representation cost of W_QK: ||W_Q||_F^2 + ||W_K||_F^2 per head (mean over heads)", "C_QK", cost_qk);
  plot("cost_ov", "Representation cost of W_OV: ||W_V||_F^2 + ||W_O||_F^2 per head (mean over heads)", "C_OV", cost_ov);
  plot("cost_block", "Frobenius-squared cost of a block's attention + MLP weights (mean over blocks)", "sum of ||W||_F^2", block);
  plot("oversmoothing", "Oversmoothing: mean pairwise cosine of token states at block outputs (mean over layers)",
       "mean pairwise cosine", smooth);
  plot("val_loss", "Validation loss", "cross-entropy (nats/token)", val);
  // Synthetic tasks: where the queries that need no attention look.
  auto class_field = [](const char* cls, const char* key) -> Value {
    return [cls, key](const json& r) -> std::optional<double> {
      if (!r.contains("by_class")) return std::nullopt;
      return grid_mean(r.at("by_class").at(cls).at(key));
    };
  };
  plot("no_attention_first", "Queries that need no attention: mean attention to the first position (sink)",
       "attention to the first position", series(c, class_field("no_attention", "sink_score")));
  plot("no_attention_self", "Queries that need no attention: mean attention to themselves (diagonal)", "attention to self",
       series(c, class_field("no_attention", "diag_score")));
  plot("needs_attention_previous", "Queries that need attention: mean attention to the previous token (the one to copy)",
       "attention to the previous token", series(c, class_field("needs_attention", "prev_score")));

  // Oversmoothing by layer at the final analysis.
  {
    std::vector<Series> by_layer;
    for (const auto& v : runs.variants) {
      std::vector<std::vector<std::pair<double, double>>> seeds;
      for (const auto& run : v.runs) {
        std::vector<std::pair<double, double>> pts;
        const auto& last = run.analysis.back().at("oversmoothing_out");
        for (std::size_t l = 0; l < last.size(); ++l) pts.emplace_back(static_cast<double>(l), last[l].get<double>());
        seeds.push_back(pts);
      }
      by_layer.push_back(aggregate(v.name, seeds));
    }
    PlotStyle s = style;
    s.title = "Oversmoothing by layer at the final analysis";
    s.xlabel = "layer";
    s.ylabel = "mean pairwise cosine of token states (block output)";
    line_plot(out, "oversmoothing_by_layer", by_layer, s);
    result.files.push_back("oversmoothing_by_layer.png");
  }

  // Final per-head sink scores, layer x head, one heatmap per variant (mean over seeds).
  std::vector<std::string> names;
  std::vector<std::vector<std::vector<double>>> heat;
  for (const auto& v : runs.variants) {
    std::vector<std::vector<double>> mean;
    for (const auto& run : v.runs) {
      const auto g = run.analysis.back().at("sink_score").get<std::vector<std::vector<double>>>();
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
      if (r.contains("snapshot") && fs::exists(run.dir / r.at("snapshot").get<std::string>())) snaps.push_back(&r);
    if (snaps.empty()) continue;
    std::vector<const json*> picked{snaps.front(), snaps[snaps.size() / 2], snaps.back()};
    picked.erase(std::unique(picked.begin(), picked.end()), picked.end());
    std::vector<std::vector<std::vector<float>>> panels;
    std::vector<std::string> titles;
    std::int64_t n = 0;
    int columns = 0;
    for (const json* r : picked) {
      const fs::path file = run.dir / r->at("snapshot").get<std::string>();
      const Tensor maps = io::read_npy(file, 4);  // (L, H, N, N)
      const std::int64_t L = maps.shape()[0], H = maps.shape()[1];
      n = maps.shape()[2];
      const auto& grid = r->at("sink_score");
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
        titles.push_back(fmt::format("step {} L{} H{}", r->at("step").get<std::int64_t>(), l, h));
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

  // The summary table.
  const std::string baseline = opt.baseline.empty() ? runs.variants.front().name : opt.baseline;
  if (std::none_of(runs.variants.begin(), runs.variants.end(), [&](const Variant& v) { return v.name == baseline; }))
    fail("compare: --baseline '{}' is not one of the variants", baseline);
  const auto nops = series(c, [](const json& r) -> std::optional<double> { return r.at("nop_count").get<double>(); });
  const auto broadcasts = series(c, [](const json& r) -> std::optional<double> { return r.at("broadcast_count").get<double>(); });
  json table = json::array();
  std::string md_rows;
  for (const auto& v : runs.variants) {
    const Series* rate = nullptr;
    for (const auto& s : rate03)
      if (s.variant == v.name) rate = &s;
    const auto e10 = rate ? emergence(*rate, 0.1) : std::nullopt, e50 = rate ? emergence(*rate, 0.5) : std::nullopt;
    const double vl = final_mean(val, v.name), sr = final_mean(rate03, v.name);
    const double d_vl = vl - final_mean(val, baseline), d_sr = sr - final_mean(rate03, baseline);
    json row{{"variant", v.name}, {"seeds", v.runs.size()}, {"val_loss", vl}, {"sink_rate_0.3", sr},
             {"sink_rate_0.1", final_mean(rate01, v.name)}, {"emergence_10pct", e10 ? json(*e10) : json(nullptr)},
             {"emergence_50pct", e50 ? json(*e50) : json(nullptr)}, {"first_mass", final_mean(first, v.name)},
             {"diag_score", final_mean(diag, v.name)}, {"cost_qk", final_mean(cost_qk, v.name)}, {"cost_ov", final_mean(cost_ov, v.name)},
             {"block_cost", final_mean(block, v.name)}, {"nop_heads", final_mean(nops, v.name)},
             {"broadcast_heads", final_mean(broadcasts, v.name)}, {"val_loss_vs_baseline", d_vl}, {"sink_rate_vs_baseline", d_sr}};
    table.push_back(row);
    auto at = [&](const std::optional<double>& x) { return x ? fmt::format("{:.0f}", *x) : std::string("—"); };
    md_rows += fmt::format("| {} | {} | {} ({:+.4f}) | {} ({:+.4f}) | {} | {} / {} | {} | {} | {} | {} | {} | {} / {} |\n", v.name,
                           v.runs.size(), number(vl), d_vl, number(sr), d_sr, number(final_mean(rate01, v.name)), at(e10), at(e50),
                           number(final_mean(first, v.name)), number(final_mean(diag, v.name)), number(final_mean(cost_qk, v.name), 2),
                           number(final_mean(cost_ov, v.name), 2), number(final_mean(block, v.name), 1),
                           number(final_mean(nops, v.name), 1), number(final_mean(broadcasts, v.name), 1));
  }
  io::write_file_atomic(out / "summary.json", table.dump(2) + "\n");
  const Table classes = query_class_table(runs);
  const std::string class_note =
      "Synthetic task, at the final analysis, per run. *mechanism*: how each head treats the queries that need no attention "
      "(gate: the head's output gate there is below 0.1; else sink: most mass on the first position, diagonal: on itself, "
      "sink-logit: on the extra softmax column, each only when above the largest analysis ε; other: none of these). Arrows: mean attention of those queries (no-attn) and of the queries that need "
      "attention (needs-attn) to a position. First value ratio: ‖v_first W_O‖ over the mean of the other positions' (≈ 0: a "
      "nop sink). Costs and losses as in docs/metrics.md.";
  if (!classes.rows.empty()) io::write_file_atomic(out / "query_classes.json", classes.records.dump(2) + "\n");

  std::string md = fmt::format("# sinklab comparison{}\n\n", runs.ablation.empty() ? "" : ": " + runs.ablation);
  md += fmt::format("{} variants from {} runs; x axis: {}; differences are against **{}**; lines are the mean over seeds and the "
                    "shaded band spans the seeds' min to max. Definitions: docs/metrics.md.\n\n",
                    runs.variants.size(), [&] {
                      std::size_t n = 0;
                      for (const auto& v : runs.variants) n += v.runs.size();
                      return n;
                    }(), c.x_label(), baseline);
  if (!runs.skipped.empty()) md += "Skipped: " + fmt::format("{}", fmt::join(runs.skipped, "; ")) + "\n\n";
  md += fmt::format("| variant | seeds | final val loss (Δ) | final sink rate ε=0.3 (Δ) | sink rate ε=0.1 | emergence {} 10% / 50% | "
                    "first-token mass | diagonal score | C_QK | C_OV | block cost | nop / broadcast heads |\n"
                    "|---|---|---|---|---|---|---|---|---|---|---|---|\n",
                    opt.x);
  md += md_rows + "\nEmergence: the first analysis " + opt.x +
        " at which the mean sink rate (ε = 0.3) reached 10% and 50% of its final value (— when the final rate is 0).\n\n";
  if (!classes.rows.empty()) md += "## Query classes\n\n" + class_note + "\n\n" + markdown_table(classes) + "\n";
  for (const auto& f : result.files) md += fmt::format("![{}]({})\n\n", f.substr(0, f.size() - 4), f);
  io::write_file_atomic(out / "report.md", md);

  std::string html = "<!doctype html><html><head><meta charset='utf-8'><title>sinklab comparison</title><style>"
                     "body{font-family:sans-serif;max-width:1200px;margin:2em auto}table{border-collapse:collapse;font-size:13px}"
                     "td,th{border:1px solid #ccc;padding:4px 6px;text-align:right}td:first-child{text-align:left}"
                     "img{max-width:100%;margin:1em 0;border:1px solid #eee}</style></head><body>\n";
  html += fmt::format("<h1>sinklab comparison{}</h1>\n", runs.ablation.empty() ? "" : ": " + html_escape(runs.ablation));
  html += "<table><tr><th>variant</th><th>seeds</th><th>final val loss (Δ)</th><th>sink rate ε=0.3 (Δ)</th><th>sink rate ε=0.1</th>"
          "<th>emergence 10% / 50%</th><th>first-token mass</th><th>diagonal score</th><th>C_QK</th><th>C_OV</th><th>block cost</th>"
          "<th>nop / broadcast</th></tr>\n";
  for (std::size_t i = 0; i < table.size(); ++i) {
    std::string line = md_rows.substr(0, md_rows.find('\n'));
    md_rows = md_rows.substr(md_rows.find('\n') + 1);
    std::string cells;
    for (std::size_t at = 2; at < line.size();) {
      const auto bar = line.find(" |", at);
      cells += "<td>" + html_escape(line.substr(at, bar - at)) + "</td>";
      at = bar + 3;
    }
    html += "<tr>" + cells + "</tr>\n";
  }
  html += "</table>\n";
  if (!classes.rows.empty()) html += "<h2>Query classes</h2>\n<p>" + html_escape(class_note) + "</p>\n" + html_table(classes);
  for (const auto& f : result.files) html += fmt::format("<div><img src='{}' alt='{}'></div>\n", f, f);
  html += "</body></html>\n";
  io::write_file_atomic(out / "report.html", html);
  return result;
}

}  // namespace sinklab::report
