#include "report/runs.h"

#include <algorithm>
#include <fstream>
#include <map>

#include "engine/error.h"
#include "io/records.h"
#include "train/ablation.h"
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

// What compare reads of an analysis record, checked before anything is drawn from it.
enum class Kind { count, number, per_eps, per_layer, per_head, labels };
struct Field {
  const char* key;
  Kind kind;
  bool required;
};
constexpr Field analysis_fields[] = {
    {"step", Kind::count, true},           {"tokens", Kind::count, true},
    {"eps", Kind::per_eps, true},          {"sink_rate", Kind::per_eps, true},
    {"sink_score", Kind::per_head, true},  {"sink_score_max", Kind::number, true},
    {"first_mass", Kind::per_head, true},  {"diag_score", Kind::per_head, true},
    {"cost_qk", Kind::per_head, true},     {"cost_ov", Kind::per_head, true},
    {"block_cost", Kind::per_layer, true}, {"oversmoothing_out", Kind::per_layer, true},
    {"nop_count", Kind::count, true},      {"broadcast_count", Kind::count, true},
    {"first_value_ratio", Kind::per_head, false}, {"register_mass", Kind::per_head, false},
    {"sink_logit_mass", Kind::per_head, false},  {"row_mass", Kind::per_head, false},
    {"mechanism", Kind::labels, false}};
constexpr Field class_fields[] = {{"sink_score", Kind::per_head, true},      {"diag_score", Kind::per_head, true},
                                  {"prev_score", Kind::per_head, true},      {"sink_logit_mass", Kind::per_head, false},
                                  {"gate_mean", Kind::per_head, false}};

struct Where {
  const fs::path& file;
  std::size_t line;
};

[[noreturn]] void bad_record(const Where& at, const std::string& key, const std::string& message) {
  fail("{}:{}: '{}' {}", at.file.string(), at.line, key, message);
}

// The shape of a run's grids: from its first record, the same in every later one.
struct Dims {
  std::size_t layers = 0, heads = 0, eps = 0;
};

void check_field(const json& r, const Field& f, Dims& dims, const Where& at) {
  if (!r.contains(f.key)) {
    if (f.required) bad_record(at, f.key, "is missing");
    return;
  }
  const json& v = r.at(f.key);
  auto rows = [&](std::size_t& n, std::size_t got, const char* what) {
    if (got == 0) bad_record(at, f.key, fmt::format("has no {}", what));
    if (n == 0) n = got;
    if (got != n) bad_record(at, f.key, fmt::format("has {} {}, the run's other records {}", got, what, n));
  };
  auto numbers = [&](const json& list, std::size_t& n, const char* what) {
    if (!list.is_array()) bad_record(at, f.key, "must be a list");
    rows(n, list.size(), what);
    for (const auto& x : list)
      if (!x.is_number()) bad_record(at, f.key, "must hold numbers");
  };
  switch (f.kind) {
    case Kind::count:
      if (!v.is_number_unsigned()) bad_record(at, f.key, "must be a whole number >= 0");
      break;
    case Kind::number:
      if (!v.is_number()) bad_record(at, f.key, "must be a number");
      break;
    case Kind::per_eps: numbers(v, dims.eps, "thresholds"); break;
    case Kind::per_layer: numbers(v, dims.layers, "layers"); break;
    case Kind::per_head:
    case Kind::labels:
      if (!v.is_array()) bad_record(at, f.key, "must be a [layer][head] list");
      rows(dims.layers, v.size(), "layers");
      for (const auto& row : v) {
        if (!row.is_array()) bad_record(at, f.key, "must be a [layer][head] list");
        rows(dims.heads, row.size(), "heads");
        for (const auto& x : row)
          if (f.kind == Kind::labels ? !x.is_string() : !x.is_number())
            bad_record(at, f.key, f.kind == Kind::labels ? "must hold names" : "must hold numbers");
      }
      break;
  }
}

void check_analysis_record(const json& r, Dims& dims, const Where& at) {
  for (const auto& f : analysis_fields) check_field(r, f, dims, at);
  if (r.contains("by_class")) {
    for (const char* key : {"mechanism", "first_value_ratio"})
      if (!r.contains(key)) bad_record(at, key, "is missing (the record has by_class)");
    for (const char* cls : {"needs_attention", "no_attention"}) {
      if (!r.at("by_class").is_object() || !r.at("by_class").contains(cls)) bad_record(at, "by_class", fmt::format("has no '{}'", cls));
      for (const auto& f : class_fields) check_field(r.at("by_class").at(cls), f, dims, at);
    }
  }
  if (r.contains("snapshot")) {
    const json& s = r.at("snapshot");
    const std::string name = s.is_string() ? s.get<std::string>() : "";
    const bool plain = name.starts_with("attn/step_") && name.ends_with(".npy") && name.size() > 14 &&
                       name.substr(10, name.size() - 14).find_first_not_of("0123456789") == std::string::npos;
    if (!plain) bad_record(at, "snapshot", "must name a file attn/step_<N>.npy of the run");
  }
}

void check_metrics_record(const json& m, const Where& at) {
  for (const char* key : {"step", "tokens"})
    if (!m.contains(key) || !m.at(key).is_number_unsigned()) bad_record(at, key, "must be a whole number >= 0");
  for (const char* key : {"val_loss", "val_loss_needs_attn", "val_loss_no_attn"})
    if (m.contains(key) && !m.at(key).is_number()) bad_record(at, key, "must be a number");
}

}  // namespace

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
      r.step_tokens.emplace_back(m.at("step"), m.at("tokens"));
      if (m.contains("val_loss")) r.val_loss.emplace_back(m.at("step"), m.at("val_loss")), r.last_metrics = m;
    }
    auto it = std::find_if(c.variants.begin(), c.variants.end(), [&](const Variant& v) { return v.name == r.variant; });
    if (it == c.variants.end()) it = c.variants.insert(c.variants.end(), Variant{r.variant, {}});
    it->runs.push_back(std::move(r));
  }
  if (c.variants.empty()) fail("compare: none of the {} runs is usable:\n  {}", dirs.size(), fmt::join(c.skipped, "\n  "));
  return c;
}

double grid_mean(const nlohmann::json& g) {
  double s = 0;
  std::size_t n = 0;
  for (const auto& row : g)
    for (const auto& v : row) s += v.get<double>(), ++n;
  return n ? s / static_cast<double>(n) : 0;
}

double vector_mean(const nlohmann::json& v) {
  double s = 0;
  for (const auto& x : v) s += x.get<double>();
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : c == '\'' ? "&#39;" : std::string(1, c);
  return out;
}

}  // namespace sinklab::report
