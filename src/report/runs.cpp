#include "report/runs.h"

#include <algorithm>
#include <fstream>
#include <map>

#include "engine/error.h"

namespace sinklab::report {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

bool is_run(const fs::path& dir) { return fs::exists(dir / "config.resolved.yaml"); }

std::string variant_of(const std::string& name) {
  const auto dash = name.rfind("-s");
  if (dash == std::string::npos || dash + 2 >= name.size()) return name;
  return name.substr(dash + 2).find_first_not_of("0123456789") == std::string::npos ? name.substr(0, dash) : name;
}

std::vector<json> read_jsonl(const fs::path& file) {
  std::vector<json> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    try {
      out.push_back(json::parse(line));
    } catch (const json::exception&) {
      break;  // a half-written last line of a crashed run
    }
  }
  return out;
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
    if (fs::exists(in / "ablation.json")) {
      std::ifstream list(in / "ablation.json");
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
    r.analysis = read_jsonl(dir / "analysis.jsonl");
    if (r.analysis.empty()) {
      c.skipped.push_back(r.name + ": no analysis records yet (analysis.jsonl missing or empty)");
      continue;
    }
    for (const auto& m : read_jsonl(dir / "metrics.jsonl")) {
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
