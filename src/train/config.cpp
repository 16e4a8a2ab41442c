#include "train/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <functional>
#include <map>

#include "engine/error.h"
#include "io/yaml_file.h"

namespace sinklab::train {
namespace {

namespace fs = std::filesystem;

using config::Entry;
using config::Origin;
using Flat = std::map<std::string, Entry>;

// ---- the schema: every section's keys and rules, bound to the Config they fill --------------

struct Key {
  std::string path, doc;
  std::function<void(Config&, const Entry&)> set;
  std::function<YAML::Node(const Config&)> get;
};

struct Rule {
  std::string prefix;
  std::function<void(const Config&, const config::Report&)> check;
};

struct Schema {
  std::vector<Key> keys;
  std::vector<Rule> rules;

  template <class S, class Part>
  void add(const config::Section<S>& section, Part part) {
    const std::string prefix = section.prefix().empty() ? "" : section.prefix() + ".";
    for (const auto& k : section.keys())
      keys.push_back({prefix + k.name, k.doc, [k, part, path = prefix + k.name](Config& c, const Entry& e) { k.set(part(c), e, path); },
                      [k, part](const Config& c) { return k.get(part(const_cast<Config&>(c))); }});
    for (const auto& r : section.rules())
      rules.push_back({prefix, [r, part](const Config& c, const config::Report& report) { r(part(const_cast<Config&>(c)), report); }});
  }
};

// The keys of the run itself, beside the sections' keys.
const config::Section<Config>& run_section() {
  static const auto section = [] {
    config::Section<Config> s("");
    s.key("seed", &Config::seed, "seed of the initialisation, the data order, the validation batches and the probe set");
    return s;
  }();
  return section;
}

// In the order of a resolved config.
const Schema& schema() {
  static const Schema all = [] {
    Schema s;
    s.add(run_section(), [](Config& c) -> Config& { return c; });
    s.add(data::data_section(), [](Config& c) -> data::DataConfig& { return c.data; });
    s.add(nn::model_section(), [](Config& c) -> nn::ModelConfig& { return c.model; });
    s.add(nn::attention_section(), [](Config& c) -> nn::AttentionConfig& { return c.model.attention; });
    s.add(optim::optim_section(), [](Config& c) -> optim::OptimConfig& { return c.optim; });
    s.add(loop_section(), [](Config& c) -> LoopConfig& { return c.train; });
    s.add(analysis::analysis_section(), [](Config& c) -> analysis::AnalysisConfig& { return c.analysis; });
    return s;
  }();
  return all;
}

// ---- reading files --------------------------------------------------------------------------

void flatten(const YAML::Node& node, const std::string& prefix, const std::string& file, Flat& out) {
  for (const auto& item : node) {
    const std::string key = item.first.Scalar();
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    if (item.second.IsMap()) {
      flatten(item.second, path, file, out);
    } else {
      const Entry entry{item.second, {file, item.first.Mark().line}};
      const auto [at, fresh] = out.emplace(path, entry);
      if (!fresh) config::bad(entry, path, fmt::format("given twice (also at {})", at->second.origin.where()));
    }
  }
}

Flat read_file(const fs::path& file, std::vector<fs::path>& chain) {
  // The forms with an error code: an `extends:` can name a path the system refuses to look up
  // (too long, a symlink loop), and the throwing forms would throw std::filesystem_error.
  std::error_code ec;
  const bool exists = fs::exists(file, ec);
  fs::path canonical;
  if (!ec) canonical = fs::weakly_canonical(file, ec);
  if (ec) fail("{}: cannot look up the config file ({})", file.string(), ec.message());
  if (!exists && !chain.empty()) fail("{}: config file not found (extended by {})", file.string(), chain.back().string());
  if (std::find(chain.begin(), chain.end(), canonical) != chain.end()) fail("{}: `extends` forms a cycle", file.string());
  const YAML::Node root = io::read_yaml_file(file, "config file");
  if (root.IsNull()) fail("{}: the config file is empty", file.string());
  if (!root.IsMap()) fail("{}: a config must be a mapping of sections (data, model, optim, train, ...)", file.string());
  Flat flat;
  if (root["extends"]) {
    const auto base = root["extends"];
    if (!base.IsScalar()) fail("{}:{}: extends: expected a file name", file.string(), base.Mark().line + 1);
    chain.push_back(canonical);
    flat = read_file(file.parent_path() / base.Scalar(), chain);
    chain.pop_back();
  }
  Flat own;
  flatten(root, "", file.string(), own);
  own.erase("extends");
  for (auto& [k, v] : own) flat[k] = v;
  return flat;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string suggestion(const std::string& key) {
  std::string best;
  std::size_t best_d = 4;
  for (const auto& k : schema().keys) {
    const std::size_t d = edit_distance(key, k.path);
    if (d < best_d) best_d = d, best = k.path;
  }
  return best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best);
}

// ---- rules across keys -----------------------------------------------------------------------

void validate(const Config& c, const Flat& flat) {
  for (const auto& rule : schema().rules)
    rule.check(c, [&](bool ok, const std::string& key, const std::string& message) {
      if (ok) return;
      const std::string path = rule.prefix + key;
      auto it = flat.find(path);
      const std::string where = it != flat.end() ? it->second.origin.where() : c.source + " (default value)";
      fail("{}: {}: {}", where, path, message);
    });
}

}  // namespace

Config load_config(const fs::path& file, const std::vector<std::string>& overrides) {
  std::vector<fs::path> chain;
  Flat flat = file.empty() ? Flat{} : read_file(file, chain);
  for (const auto& o : overrides) {
    const auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0) fail("--set {}: expected key=value", o);
    const YAML::Node value = io::parse_yaml(o.substr(eq + 1), "--set " + o);
    if (value.IsMap()) fail("--set {}: the value is a mapping; set each dotted key on its own", o);
    flat[o.substr(0, eq)] = {value, {"--set " + o, -1}};
  }
  Config config;
  config.source = file.empty() ? "(no config file)" : file.string();
  std::map<std::string, const Key*> by_path;
  for (const auto& k : schema().keys) by_path[k.path] = &k;
  for (const auto& [key, entry] : flat) {
    auto it = by_path.find(key);
    if (it == by_path.end()) fail("{}: unknown key '{}'{}", entry.origin.where(), key, suggestion(key));
    it->second->set(config, entry);
  }
  validate(config, flat);
  config.model.context = config.data.context;
  return config;
}

std::string resolved_yaml(const Config& config) {
  // Keys nest by their dots, in schema order: a small tree, then one emitter pass.
  // Each node carries its own name: a vector of (name, Tree) pairs would need Tree complete
  // inside its own definition, which clang refuses.
  struct Tree {
    std::string name;
    std::vector<Tree> children;
    YAML::Node value;
    Tree& child(const std::string& child_name) {
      for (auto& t : children)
        if (t.name == child_name) return t;
      return children.emplace_back(Tree{child_name, {}, {}});
    }
  } root;
  for (const auto& k : schema().keys) {
    Tree* node = &root;
    std::string rest = k.path;
    for (std::size_t dot; (dot = rest.find('.')) != std::string::npos; rest = rest.substr(dot + 1)) node = &node->child(rest.substr(0, dot));
    node->child(rest).value = k.get(config);
  }
  YAML::Emitter out;
  const std::function<void(const Tree&)> emit = [&](const Tree& t) {
    out << YAML::BeginMap;
    for (const auto& child : t.children) {
      out << YAML::Key << child.name << YAML::Value;
      if (child.children.empty()) {
        if (child.value.IsSequence()) out << YAML::Flow;
        out << child.value;
      } else {
        emit(child);
      }
    }
    out << YAML::EndMap;
  };
  emit(root);
  return std::string(out.c_str()) + "\n";
}

std::vector<std::pair<std::string, std::string>> config_keys() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& k : schema().keys) out.emplace_back(k.path, k.doc);
  return out;
}

std::string keys_markdown() {
  const Config defaults;
  std::string md = "| key | default | meaning |\n|---|---|---|\n";
  for (const auto& k : schema().keys) {
    const YAML::Node v = k.get(defaults);
    YAML::Emitter out;
    if (v.IsSequence()) out << YAML::Flow;
    out << v;
    const std::string shown = v.IsScalar() && v.Scalar().empty() ? "" : out.c_str();
    md += fmt::format("| `{}` | {} | {} |\n", k.path, shown, k.doc);
  }
  return md;
}

}  // namespace sinklab::train
