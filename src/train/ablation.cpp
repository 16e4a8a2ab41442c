#include "train/ablation.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "train/checkpoint.h"
#include "train/config.h"

namespace sinklab::train {
namespace {

namespace fs = std::filesystem;

std::string scalar_text(const YAML::Node& n) {
  if (n.IsScalar()) return n.Scalar();
  YAML::Emitter out;
  out << YAML::Flow << n;
  return out.c_str();
}

// key=value strings from a mapping of dotted keys.
std::vector<std::string> sets_of(const YAML::Node& map, const fs::path& file, const std::string& where) {
  std::vector<std::string> sets;
  if (!map) return sets;
  if (!map.IsMap()) fail("{}:{}: {}: expected a mapping of dotted keys to values", file.string(), map.Mark().line + 1, where);
  for (const auto& kv : map) sets.push_back(kv.first.as<std::string>() + "=" + scalar_text(kv.second));
  return sets;
}

std::string short_key(const std::string& key) { return key.substr(key.rfind('.') + 1); }

}  // namespace

Ablation load_ablation(const fs::path& file) {
  if (!fs::exists(file)) fail("{}: ablation file not found", file.string());
  YAML::Node root;
  try {
    root = YAML::LoadFile(file.string());
  } catch (const YAML::Exception& e) {
    fail("{}:{}: not valid YAML: {}", file.string(), e.mark.line + 1, e.msg);
  }
  if (!root.IsMap()) fail("{}: an ablation file is a mapping with base, variants or grid, and seeds", file.string());
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    if (key != "name" && key != "base" && key != "overrides" && key != "variants" && key != "grid" && key != "seeds")
      fail("{}:{}: unknown key '{}' (allowed: name, base, overrides, variants, grid, seeds)", file.string(), kv.first.Mark().line + 1, key);
  }
  Ablation a;
  a.file = file;
  a.name = root["name"] ? root["name"].as<std::string>() : file.stem().string();
  if (!root["base"]) fail("{}: needs `base:`, the config every run starts from", file.string());
  a.base = file.parent_path() / root["base"].as<std::string>();
  if (root["variants"] && root["grid"]) fail("{}: give either `variants:` or `grid:`, not both", file.string());
  if (!root["variants"] && !root["grid"]) fail("{}: needs `variants:` (a list) or `grid:` (values per key)", file.string());
  const auto shared = sets_of(root["overrides"], file, "overrides");

  std::vector<std::pair<std::string, std::vector<std::string>>> variants;  // name, sets
  if (root["variants"]) {
    const auto list = root["variants"];
    if (!list.IsSequence()) fail("{}:{}: variants: expected a list of {{name, overrides}}", file.string(), list.Mark().line + 1);
    for (const auto& v : list) {
      if (!v.IsMap() || !v["name"]) fail("{}:{}: every variant needs a name", file.string(), v.Mark().line + 1);
      const std::string name = v["name"].as<std::string>();
      if (name.find('/') != std::string::npos || name.empty()) fail("{}:{}: variant name '{}' must be a plain folder name", file.string(), v.Mark().line + 1, name);
      for (const auto& kv : v)
        if (kv.first.as<std::string>() != "name" && kv.first.as<std::string>() != "overrides")
          fail("{}:{}: variant '{}': unknown key '{}' (allowed: name, overrides)", file.string(), kv.first.Mark().line + 1, name, kv.first.as<std::string>());
      for (const auto& [other, s] : variants)
        if (other == name) fail("{}:{}: variant name '{}' is used twice", file.string(), v.Mark().line + 1, name);
      variants.emplace_back(name, sets_of(v["overrides"], file, "variant " + name));
    }
  } else {
    const auto grid = root["grid"];
    if (!grid.IsMap()) fail("{}:{}: grid: expected a mapping of dotted keys to lists of values", file.string(), grid.Mark().line + 1);
    variants.emplace_back("", std::vector<std::string>{});
    for (const auto& kv : grid) {
      const std::string key = kv.first.as<std::string>();
      if (!kv.second.IsSequence() || kv.second.size() == 0)
        fail("{}:{}: grid: {} needs a non-empty list of values", file.string(), kv.first.Mark().line + 1, key);
      std::vector<std::pair<std::string, std::vector<std::string>>> next;
      for (const auto& [name, sets] : variants)
        for (const auto& value : kv.second) {
          auto s = sets;
          s.push_back(key + "=" + scalar_text(value));
          next.emplace_back((name.empty() ? "" : name + ",") + short_key(key) + "=" + scalar_text(value), s);
        }
      variants = std::move(next);
    }
  }
  std::vector<std::uint64_t> seeds{0};
  if (root["seeds"]) {
    if (!root["seeds"].IsSequence() || root["seeds"].size() == 0) fail("{}: seeds: expected a non-empty list of integers", file.string());
    seeds.clear();
    for (const auto& s : root["seeds"]) seeds.push_back(s.as<std::uint64_t>());
  }
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
  const auto checkpoint = latest_checkpoint(run_dir);
  if (!checkpoint) return 0;
  std::ifstream in(*checkpoint / "state.json");
  try {
    return nlohmann::json::parse(in).at("step").get<std::int64_t>();
  } catch (const std::exception&) {
    return 0;  // unreadable: the run resumes, and `train` reports what is wrong
  }
}

}  // namespace sinklab::train
