#include "train/ablation_list.h"

#include <fstream>
#include <map>
#include <sstream>
#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "io/atomic_file.h"
#include "io/file_lock.h"
#include "io/json_parse.h"

namespace sinklab::train {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

// The outcome fields of an entry: the part of it a shard owns.
constexpr const char* outcome_keys[] = {"status", "step", "loss", "val_loss", "minutes"};

// The entries of the list as it is now, by run name. A list that cannot be read counts as empty:
// it is only ever written whole (atomically), so that is a hand-edited file, and each shard
// writes its own entries again when its runs end.
std::map<std::string, nlohmann::json> current_entries(const fs::path& list) {
  std::map<std::string, nlohmann::json> entries;
  if (!fs::exists(list)) return entries;
  try {
    std::ifstream in(list);
    std::stringstream text;
    text << in.rdbuf();
    const auto parsed = io::parse_json(text.str(), list.string());
    for (const auto& e : parsed) entries.emplace(e.at("run").get<std::string>(), e);
  } catch (const std::exception&) {
    entries.clear();
  }
  return entries;
}

}  // namespace

void update_ablation_list(const fs::path& root, const Ablation& ab, const std::vector<RunOutcome>& outcomes,
                          const std::vector<bool>& mine) {
  // The list marks the folder as an ablation's (train/run_folder.h), so it is made first, before
  // even its lock file: a shard opening the folder beside this process never finds other files
  // in it without the mark. An empty list reads as none.
  if (!std::ofstream(root / ablation_list, std::ios::app)) fail("{}: cannot write the run list", (root / ablation_list).string());
  const io::FileLock lock(root / ablation_list_lock, "the run list of " + root.string(), io::LockMode::wait);
  const auto before = current_entries(root / ablation_list);
  json list = json::array();
  for (std::size_t i = 0; i < ab.runs.size(); ++i) {
    const auto& r = ab.runs[i];
    const RunOutcome& o = outcomes[i];
    json entry{{"run", r.name}, {"variant", r.variant}, {"seed", r.seed}, {"status", o.status}, {"step", o.step}, {"steps", r.steps},
               {"loss", o.loss}, {"val_loss", o.val_loss}, {"minutes", o.minutes}, {"overrides", r.sets}};
    const auto old = before.find(r.name);
    if (!mine[i]) {
      entry["status"] = "pending";
      if (old != before.end())
        for (const char* key : outcome_keys)
          if (old->second.contains(key)) entry[key] = old->second[key];
    }
    list.push_back(std::move(entry));
  }
  io::write_file_atomic(root / ablation_list, list.dump(2) + "\n");
}

}  // namespace sinklab::train
