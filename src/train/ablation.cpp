#include "train/ablation.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "io/yaml_file.h"
#include "train/checkpoint.h"
#include "train/config.h"
#include "train/run_folder.h"

namespace sinklab::train {
namespace {

namespace fs = std::filesystem;

std::string scalar_text(const YAML::Node& n) {
  if (n.IsScalar()) return n.Scalar();
  YAML::Emitter out;
  out << YAML::Flow << n;
  return out.c_str();
}

[[noreturn]] void bad(const fs::path& file, const YAML::Node& at, const std::string& message) {
  fail("{}:{}: {}", file.string(), at.Mark().line + 1, message);
}

// key=value strings from a mapping of dotted keys.
std::vector<std::string> sets_of(const YAML::Node& map, const fs::path& file, const std::string& where) {
  std::vector<std::string> sets;
  if (!map) return sets;
  if (!map.IsMap()) bad(file, map, where + ": expected a mapping of dotted keys to values");
  for (const auto& kv : map) sets.push_back(kv.first.Scalar() + "=" + scalar_text(kv.second));
  return sets;
}

// A grid value as part of a folder name: characters outside [A-Za-z0-9._-] become '_'.
std::string name_part(const std::string& text) {
  std::string out = text;
  for (char& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
  return out;
}

std::string short_key(const std::string& key) { return key.substr(key.rfind('.') + 1); }

bool mentions_seed(const std::vector<std::string>& sets) {
  return std::any_of(sets.begin(), sets.end(), [](const std::string& s) { return s.starts_with("seed="); });
}

}  // namespace

Ablation load_ablation(const fs::path& file, std::int64_t max_runs) {
  const YAML::Node root = io::read_yaml_file(file, "ablation file");
  if (!root.IsMap()) fail("{}: an ablation file is a mapping with base, variants or grid, and seeds", file.string());
  for (const auto& kv : root) {
    const std::string key = kv.first.Scalar();
    if (key != "name" && key != "base" && key != "overrides" && key != "variants" && key != "grid" && key != "seeds")
      bad(file, kv.first, fmt::format("unknown key '{}' (allowed: name, base, overrides, variants, grid, seeds)", key));
  }
  auto text = [&](const char* key) {
    const YAML::Node n = root[key];
    if (!n.IsScalar()) bad(file, n, fmt::format("{}: expected a single value", key));
    return n.Scalar();
  };
  Ablation a;
  a.file = file;
  a.name = root["name"] ? text("name") : file.stem().string();
  check_folder_name(a.name, fmt::format("{}: the ablation's name", file.string()));
  if (!root["base"]) fail("{}: needs `base:`, the config every run starts from", file.string());
  a.base = file.parent_path() / text("base");
  if (root["variants"] && root["grid"]) fail("{}: give either `variants:` or `grid:`, not both", file.string());
  if (!root["variants"] && !root["grid"]) fail("{}: needs `variants:` (a list) or `grid:` (values per key)", file.string());
  const auto shared = sets_of(root["overrides"], file, "overrides");

  std::vector<std::uint64_t> seeds{0};
  if (root["seeds"]) {
    const YAML::Node list = root["seeds"];
    if (!list.IsSequence() || list.size() == 0) bad(file, list, "seeds: expected a non-empty list of whole numbers");
    seeds.clear();
    for (const auto& s : list) {
      const std::string v = s.IsScalar() ? s.Scalar() : "";
      if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos)
        bad(file, s, fmt::format("seeds: '{}' is not a whole number >= 0", scalar_text(s)));
      seeds.push_back(std::stoull(v));
    }
  }
  if (mentions_seed(shared)) bad(file, root["overrides"], "overrides: set seeds with `seeds:`, not `seed`");

  std::vector<std::pair<std::string, std::vector<std::string>>> variants;  // name, sets
  if (root["variants"]) {
    const auto list = root["variants"];
    if (!list.IsSequence() || list.size() == 0) bad(file, list, "variants: expected a non-empty list of {name, overrides}");
    for (const auto& v : list) {
      if (!v.IsMap() || !v["name"] || !v["name"].IsScalar()) bad(file, v, "every variant needs a name");
      const std::string name = v["name"].Scalar();
      check_folder_name(name, fmt::format("{}:{}: variant name", file.string(), v.Mark().line + 1));
      for (const auto& kv : v)
        if (kv.first.Scalar() != "name" && kv.first.Scalar() != "overrides")
          bad(file, kv.first, fmt::format("variant '{}': unknown key '{}' (allowed: name, overrides)", name, kv.first.Scalar()));
      for (const auto& [other, s] : variants)
        if (other == name) bad(file, v, fmt::format("variant name '{}' is used twice", name));
      auto sets = sets_of(v["overrides"], file, "variant " + name);
      if (mentions_seed(sets)) bad(file, v, fmt::format("variant '{}': set seeds with `seeds:`, not `seed`", name));
      variants.emplace_back(name, std::move(sets));
    }
  } else {
    const auto grid = root["grid"];
    if (!grid.IsMap() || grid.size() == 0) bad(file, grid, "grid: expected a non-empty mapping of dotted keys to lists of values");
    // Counted before any combination is built.
    double count = static_cast<double>(seeds.size());
    for (const auto& kv : grid) {
      const std::string key = kv.first.Scalar();
      if (key == "seed") bad(file, kv.first, "grid: set seeds with `seeds:`, not a grid over `seed`");
      if (!kv.second.IsSequence() || kv.second.size() == 0) bad(file, kv.first, fmt::format("grid: {} needs a non-empty list of values", key));
      count *= static_cast<double>(kv.second.size());
    }
    if (count > static_cast<double>(max_runs))
      fail("{}: the grid makes {:.0f} runs (values per key x seeds), more than {}; give --max-runs N to allow more",
           file.string(), count, max_runs);
    variants.emplace_back("", std::vector<std::string>{});
    for (const auto& kv : grid) {
      const std::string key = kv.first.Scalar();
      std::vector<std::pair<std::string, std::vector<std::string>>> next;
      for (const auto& [name, sets] : variants)
        for (const auto& value : kv.second) {
          auto s = sets;
          s.push_back(key + "=" + scalar_text(value));
          next.emplace_back((name.empty() ? "" : name + "_") + name_part(short_key(key)) + "-" + name_part(scalar_text(value)), s);
        }
      variants = std::move(next);
    }
  }
  if (static_cast<double>(variants.size()) * static_cast<double>(seeds.size()) > static_cast<double>(max_runs))
    fail("{}: {} variants x {} seeds make more than {} runs; give --max-runs N to allow more", file.string(), variants.size(),
         seeds.size(), max_runs);
  for (const auto& [variant, vsets] : variants)
    for (auto seed : seeds) {
      AblationRun run{variant, seed, fmt::format("{}-s{}", variant, seed), shared, 0};
      for (const auto& other : a.runs)
        if (other.name == run.name) fail("{}: run '{}' appears twice (a repeated seed or grid value)", file.string(), run.name);
      run.sets.insert(run.sets.end(), vsets.begin(), vsets.end());
      run.sets.push_back(fmt::format("seed={}", seed));
      try {
        run.steps = load_config(a.base, run.sets).train.steps;
      } catch (const Error& e) {
        fail("{}: variant '{}': {}", file.string(), variant, e.what());
      }
      a.runs.push_back(std::move(run));
    }
  return a;
}

std::int64_t completed_steps(const fs::path& run_dir) {
  try {
    const auto checkpoint = latest_checkpoint(run_dir);
    if (!checkpoint) return 0;
    std::ifstream in(*checkpoint / "state.json");
    return nlohmann::json::parse(in).at("step").get<std::int64_t>();
  } catch (const std::exception&) {
    return 0;  // unreadable: the run resumes, and `train` reports what is wrong
  }
}

}  // namespace sinklab::train
