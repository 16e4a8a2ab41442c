#include "report/runs.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include "engine/error.h"
#include "analysis/fields.h"
#include "analysis/registry.h"
#include "io/records.h"
#include "io/yaml_file.h"
#include "train/ablation.h"
#include "train/metrics.h"
#include "train/run_folder.h"

namespace sinklab::report {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

bool is_run(const fs::path& dir) { return fs::exists(dir / train::run_marker); }

std::string variant_of(const std::string& name) {
  const auto dash = name.rfind("-s");
  if (dash == std::string::npos || dash + 2 >= name.size()) return name;
  return name.substr(dash + 2).find_first_not_of("0123456789") == std::string::npos ? name.substr(0, dash) : name;
}

struct Where {
  const fs::path& file;
  std::size_t line;
};

[[noreturn]] void bad_record(const Where& at, std::string_view key, const std::string& message) {
  fail("{}:{}: '{}' {}", at.file.string(), at.line, key, message);
}

// The sizes of a run's lists: from the first record that shows them, the same in every later one.
struct Dims {
  std::size_t layers = 0, heads = 0, eps = 0;
};

// A field read back from a file has the layout its declaration gives (analysis/fields.h).
void check_field(const json& v, const analysis::Field& f, Dims& dims, const Where& at) {
  using analysis::Layout;
  auto size = [&](std::size_t& n, const json& list, const char* what) {
    if (!list.is_array()) bad_record(at, f.key, fmt::format("must be a list over {}", what));
    if (list.empty()) bad_record(at, f.key, fmt::format("has no {}", what));
    if (n == 0) n = list.size();
    if (list.size() != n) bad_record(at, f.key, fmt::format("has {} {}, the run's other records {}", list.size(), what, n));
  };
  auto leaf = [&](const json& x) {
    if (f.nullable && x.is_null()) return;
    const bool ok = f.layout == Layout::head_labels ? x.is_string() && analysis::has_label(f, x.get<std::string>())
                    : f.layout == Layout::count     ? x.is_number() && x.get<double>() >= 0 && std::floor(x.get<double>()) == x.get<double>()
                                                    : x.is_number();
    if (!ok)
      bad_record(at, f.key, f.layout == Layout::head_labels ? fmt::format("must hold names among: {}", f.labels) : f.layout == Layout::count ? "must be a whole number >= 0" : "must hold numbers");
  };
  // Walks the nested lists of a layout, outermost axis first.
  using Axis = std::pair<std::size_t*, const char*>;
  auto walk = [&](auto&& self, const json& x, const Axis* axis, const Axis* end) -> void {
    if (axis == end) return leaf(x);
    size(*axis->first, x, axis->second);
    for (const auto& item : x) self(self, item, axis + 1, end);
  };
  const Axis eps{&dims.eps, "thresholds"}, layers{&dims.layers, "layers"}, heads{&dims.heads, "heads"};
  auto nested = [&](std::initializer_list<Axis> axes) { walk(walk, v, axes.begin(), axes.end()); };
  switch (f.layout) {
    case Layout::scalar:
    case Layout::count: leaf(v); break;
    case Layout::text:
      if (!v.is_string()) bad_record(at, f.key, "must be text");
      if (!f.labels.empty() && !analysis::has_label(f, v.get<std::string>()))
        bad_record(at, f.key, fmt::format("is '{}', not one of: {}", v.get<std::string>(), f.labels));
      break;
    case Layout::per_eps: nested({eps}); break;
    case Layout::per_layer: nested({layers}); break;
    case Layout::per_head:
    case Layout::head_labels: nested({layers, heads}); break;
    case Layout::per_eps_layer: nested({eps, layers}); break;
    case Layout::per_eps_head: nested({eps, layers, heads}); break;
    case Layout::per_site_quantiles: {
      std::size_t sites = dims.layers ? dims.layers + 1 : 0, levels = analysis::quantile_levels.size();
      nested({{&sites, "sites (the embedding and each layer)"}, {&levels, "quantiles"}});
      break;
    }
  }
}

void check_analysis_record(const json& r, Dims& dims, const Where& at) {
  namespace fields = analysis::fields;
  for (const auto* required : {&fields::step, &fields::tokens, &fields::eps, &fields::sink_rate, &fields::sink_score})
    if (analysis::find(r, *required) == nullptr) bad_record(at, required->key, "is missing");
  for (const analysis::Field* f : analysis::record_fields())
    if (const json* v = analysis::find(r, *f)) check_field(*v, *f, dims, at);
  if (const json* s = analysis::find(r, fields::snapshot)) {
    const std::string name = s->get<std::string>();
    const bool plain = name.starts_with("attn/step_") && name.ends_with(".npy") && name.size() > 14 &&
                       name.substr(10, name.size() - 14).find_first_not_of("0123456789") == std::string::npos;
    if (!plain) bad_record(at, fields::snapshot.key, "must name a file attn/step_<N>.npy of the run");
  }
}

void check_metrics_record(const json& m, const Where& at) {
  namespace keys = train::metric_keys;
  for (const char* key : {keys::step, keys::tokens})
    if (!m.contains(key) || !m.at(key).is_number_unsigned()) bad_record(at, key, "must be a whole number >= 0");
  for (const char* key : {keys::val_loss, keys::val_loss_needs_attn, keys::val_loss_no_attn})
    if (m.contains(key) && !m.at(key).is_number()) bad_record(at, key, "must be a number");
}

}  // namespace

std::map<std::string, std::string> flat_config(const fs::path& run_dir) {
  std::map<std::string, std::string> out;
  const auto walk = [&](auto&& self, const YAML::Node& node, const std::string& prefix) -> void {
    for (const auto& kv : node) {
      const std::string key = prefix.empty() ? kv.first.Scalar() : prefix + "." + kv.first.Scalar();
      if (kv.second.IsMap()) {
        self(self, kv.second, key);
      } else {
        YAML::Emitter e;
        e << YAML::Flow << kv.second;
        out[key] = e.c_str();
      }
    }
  };
  walk(walk, io::read_yaml_file(run_dir / train::run_marker, "config file"), "");
  return out;
}

Collection collect_runs(const std::vector<fs::path>& inputs) {
  Collection c;
  std::vector<std::pair<fs::path, std::string>> dirs;  // run folder, the input it came from
  for (const auto& in : inputs) {
    if (!fs::is_directory(in)) fail("compare: {} is not a folder", in.string());
    const std::string label = fs::absolute(in).lexically_normal().filename().string();
    if (is_run(in)) {
      dirs.emplace_back(in, "");
      continue;
    }
    std::vector<fs::path> found;
    for (const auto& e : fs::directory_iterator(in))
      if (e.is_directory() && is_run(e.path())) found.push_back(e.path());
    if (found.empty()) fail("compare: {} holds no runs (no config.resolved.yaml in it or its subfolders)", in.string());
    // An ablation lists its runs in the order of its file: the first variant is the baseline.
    std::map<std::string, std::size_t> order;
    if (fs::exists(in / train::ablation_list)) {
      std::ifstream list(in / train::ablation_list);
      try {
        for (const auto& r : json::parse(list)) order.emplace(r.at("run").get<std::string>(), order.size());
      } catch (const json::exception&) {
        order.clear();
      }
    }
    std::sort(found.begin(), found.end(), [&](const fs::path& a, const fs::path& b) {
      const auto ia = order.find(a.filename().string()), ib = order.find(b.filename().string());
      const std::size_t ka = ia == order.end() ? order.size() : ia->second, kb = ib == order.end() ? order.size() : ib->second;
      return ka != kb ? ka < kb : a < b;
    });
    // Seeds group within one ablation; the same variant name in two ablations stays two variants.
    for (const auto& f : found) dirs.emplace_back(f, inputs.size() > 1 ? label + "/" : "");
    if (inputs.size() == 1) c.ablation = in.filename().empty() ? in.parent_path().filename().string() : in.filename().string();
  }
  for (const auto& [dir, prefix] : dirs) {
    RunData r;
    r.dir = dir;
    r.name = prefix + dir.filename().string();
    r.variant = prefix + variant_of(dir.filename().string());
    const fs::path analysis = dir / "analysis.jsonl", metrics = dir / "metrics.jsonl";
    Dims dims;
    for (auto& [line, record] : io::read_jsonl(analysis)) {
      check_analysis_record(record, dims, {analysis, line});
      r.analysis.push_back(std::move(record));
    }
    if (r.analysis.empty()) {
      c.skipped.push_back(r.name + ": no analysis records yet (analysis.jsonl missing or empty)");
      continue;
    }
    for (const auto& [line, m] : io::read_jsonl(metrics)) {
      check_metrics_record(m, {metrics, line});
      namespace keys = train::metric_keys;
      r.step_tokens.emplace_back(m.at(keys::step), m.at(keys::tokens));
      if (m.contains(keys::val_loss)) r.val_loss.emplace_back(m.at(keys::step), m.at(keys::val_loss)), r.last_metrics = m;
    }
    auto it = std::find_if(c.variants.begin(), c.variants.end(), [&](const Variant& v) { return v.name == r.variant; });
    if (it == c.variants.end()) it = c.variants.insert(c.variants.end(), Variant{r.variant, {}});
    it->runs.push_back(std::move(r));
  }
  if (c.variants.empty()) fail("compare: none of the {} runs is usable:\n  {}", dirs.size(), fmt::join(c.skipped, "\n  "));
  return c;
}

}  // namespace sinklab::report
