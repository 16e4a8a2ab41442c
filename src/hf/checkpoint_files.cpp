#include "hf/checkpoint_files.h"

#include <set>

#include "engine/error.h"
#include "io/json_parse.h"

namespace sinklab::hf {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The index's weight map: tensor name -> shard file (a plain name inside the folder).
std::map<std::string, std::string> read_index(const fs::path& file) {
  const json root = io::read_json_file(file, "the weights' index");
  if (!root.is_object() || !root.contains("weight_map") || !root.at("weight_map").is_object())
    fail("{}: expected an object with a \"weight_map\" object", file.string());
  std::map<std::string, std::string> map;
  for (const auto& [name, shard] : root.at("weight_map").items()) {
    if (!shard.is_string()) fail("{}: \"weight_map\".\"{}\" must be a file name, got {}", file.string(), name, shard.dump());
    const std::string f = shard.get<std::string>();
    if (f.empty() || f == "." || f == ".." || fs::path(f).filename().string() != f)
      fail("{}: \"weight_map\".\"{}\" names \"{}\", which is not a file of the folder", file.string(), name, f);
    map[name] = f;
  }
  if (map.empty()) fail("{}: the \"weight_map\" is empty", file.string());
  return map;
}

}  // namespace

std::vector<fs::path> weight_files(const fs::path& dir) {
  if (fs::exists(dir / weights_file)) return {dir / weights_file};
  if (fs::exists(dir / weights_index)) {
    std::set<std::string> shards;
    for (const auto& [name, shard] : read_index(dir / weights_index)) shards.insert(shard);
    std::vector<fs::path> out{dir / weights_index};
    for (const auto& s : shards) out.push_back(dir / s);
    return out;
  }
  if (fs::exists(dir / "pytorch_model.bin") || fs::exists(dir / "pytorch_model.bin.index.json"))
    fail("{}: only PyTorch .bin weights; sinklab reads safetensors (model.safetensors or its sharded index)", dir.string());
  fail("{}: no {} or {}: not a Hugging Face checkpoint folder", dir.string(), weights_file, weights_index);
}

std::map<std::string, Tensor> read_weights(const fs::path& dir) {
  std::map<std::string, Tensor> out;
  if (!fs::exists(dir / weights_file) && fs::exists(dir / weights_index)) {
    const auto map = read_index(dir / weights_index);
    std::set<std::string> shards;
    for (const auto& [name, shard] : map) shards.insert(shard);
    for (const auto& shard : shards) {
      const fs::path path = dir / shard;
      if (!fs::is_regular_file(path)) fail("{}: names the shard {}, which is missing", (dir / weights_index).string(), shard);
      for (auto& [name, t] : io::read_safetensors(path).tensors) {
        auto listed = map.find(name);
        if (listed == map.end() || listed->second != shard)
          fail("{}: holds '{}', which {} places {}", path.string(), name, weights_index,
               listed == map.end() ? "nowhere" : "in " + listed->second);
        out.emplace(name, t);
      }
    }
    for (const auto& [name, shard] : map)
      if (!out.count(name)) fail("{}: has no tensor '{}', which {} places there", (dir / shard).string(), name, weights_index);
    return out;
  }
  weight_files(dir);  // the error when there is no safetensors file
  for (auto& [name, t] : io::read_safetensors(dir / weights_file).tensors)
    if (!out.emplace(name, t).second) fail("{}: tensor '{}' appears twice", (dir / weights_file).string(), name);
  return out;
}

void write_weights(const fs::path& dir, const io::TensorList& tensors) {
  io::write_safetensors(dir / weights_file, tensors, {{"format", "pt"}});
}

}  // namespace sinklab::hf
