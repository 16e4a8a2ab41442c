#include "report/against.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>

#include "analysis/fields.h"
#include "analysis/registry.h"
#include "engine/error.h"
#include "report/field_summary.h"
#include "train/run_folder.h"

namespace sinklab::report {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using analysis::Field;

// Keys that change how a run is kept or shown, not what it learns: runs differing only in them
// (an ablation resumed with another --jobs has other thread counts) are seeds of one curve.
const std::set<std::string> bookkeeping = {"seed", "train.threads", "train.log_every", "train.checkpoint_every",
                                           "train.keep_checkpoints"};

}  // namespace

std::vector<std::string> plots_against(const Collection& runs, const std::string& key, double eps, const std::vector<double>& slopes,
                                       const fs::path& out, const PlotStyle& base) {
  struct Point {
    const RunData* run;
    double x;
    std::map<std::string, std::string> rest;  // every other key but the bookkeeping ones
  };
  std::vector<Point> points;
  for (const auto& v : runs.variants)
    for (const auto& run : v.runs) {
      auto config = flat_config(run.dir);
      const auto it = config.find(key);
      if (it == config.end()) fail("compare --against: '{}' is not a key of {}'s config", key, run.name);
      char* end = nullptr;
      const double x = std::strtod(it->second.c_str(), &end);
      if (end == it->second.c_str() || *end != '\0' || !std::isfinite(x))
        fail("compare --against: {} is '{}' in {}, not a number", key, it->second, run.name);
      config.erase(it);
      for (const auto& k : bookkeeping) config.erase(k);
      points.push_back({&run, x, std::move(config)});
    }
  // Groups: runs that agree on every other key. Their labels: the keys on which groups differ.
  std::vector<std::map<std::string, std::string>> groups;
  std::vector<std::size_t> group_of;
  for (const auto& p : points) {
    auto it = std::find(groups.begin(), groups.end(), p.rest);
    if (it == groups.end()) it = groups.insert(groups.end(), p.rest);
    group_of.push_back(static_cast<std::size_t>(it - groups.begin()));
  }
  std::set<std::string> differing;  // over every group's keys: runs of older builds may lack some
  for (const auto& a : groups)
    for (const auto& [k, v] : a)
      for (const auto& g : groups)
        if (!g.count(k) || g.at(k) != v) differing.insert(k);
  std::vector<std::string> labels;
  for (const auto& g : groups) {
    std::string label;
    for (const auto& k : differing) label += (label.empty() ? "" : ", ") + k.substr(k.rfind('.') + 1) + "=" + (g.count(k) ? g.at(k) : "?");
    labels.push_back(label.empty() ? "all runs" : label);
  }
  // A run still training would mix steps into one mean: each group is read at its last step.
  const auto last_of = [&](std::size_t i) { return points[i].run->analysis.back().at(analysis::fields::step.key).get<std::int64_t>(); };
  std::vector<std::int64_t> last_step(groups.size(), 0);
  for (std::size_t i = 0; i < points.size(); ++i) last_step[group_of[i]] = std::max(last_step[group_of[i]], last_of(i));
  std::vector<bool> used(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    const std::int64_t step = last_of(i);
    used[i] = step == last_step[group_of[i]];
    if (!used[i])
      std::cout << fmt::format("compare --against: leaving out {} (last analysis at step {}, its group's other runs reach {})\n",
                               points[i].run->name, step, last_step[group_of[i]]);
  }
  bool positive = true;
  for (const auto& p : points) positive = positive && p.x > 0;

  std::vector<std::string> files;
  for (const Field* f : analysis::record_fields()) {
    if (f->plot.file.empty()) continue;
    std::vector<Series> series;
    bool log_y = positive;
    for (std::size_t g = 0; g < groups.size(); ++g) {
      std::vector<std::vector<std::pair<double, double>>> seeds(1);
      // aggregate() pools the values that share an x: each run is one seed at its x.
      for (std::size_t i = 0; i < points.size(); ++i)
        if (group_of[i] == g && used[i])
          if (const auto y = field_summary(*f, points[i].run->analysis.back(), eps)) {
            seeds.front().emplace_back(points[i].x, *y);
            log_y = log_y && *y > 0;
          }
      if (!seeds.front().empty()) series.push_back(aggregate(labels[g], seeds));
    }
    if (series.empty()) continue;
    PlotStyle style = base;
    const std::string short_key = key.substr(key.rfind('.') + 1);
    // Short enough to fit above the plot: the long form overflowed the image on the left.
    style.title = fmt::format("final {} vs {} (mean over seeds, band: min-max{})", f->plot.ylabel, short_key,
                              f->layout == analysis::Layout::per_eps ? fmt::format("; ε = {:g}", eps) : "");
    style.xlabel = key;
    style.ylabel = std::string(f->plot.ylabel);
    style.log_x = positive;
    style.log_y = log_y;
    if (positive && log_y)
      for (double s : slopes) style.power_laws.emplace_back(s, fmt::format("slope {:+g}", s));
    const std::string name = fmt::format("{}_vs_{}", f->plot.file, short_key);
    line_plot(out, name, series, style);
    files.push_back(name + ".png");
  }
  return files;
}

}  // namespace sinklab::report
