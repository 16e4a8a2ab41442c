#include "train/checkpoint.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "io/atomic_file.h"
#include "io/safetensors.h"
#include "io/sha256.h"

namespace sinklab::train {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) fail("{}: cannot read", p.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}


bool is_checkpoint_name(const std::string& name) {
  return name.size() > 5 && name.starts_with("step_") && name.find_first_not_of("0123456789", 5) == std::string::npos;
}

}  // namespace

std::string checkpoint_name(std::int64_t step) { return fmt::format("step_{:07d}", step); }

void save_checkpoint(const fs::path& run_dir, const nn::Module& model, const optim::AdamW& optimizer,
                     const TrainingState& state, std::int64_t keep) {
  const fs::path root = run_dir / "checkpoints";
  const fs::path final_dir = root / checkpoint_name(state.step);
  const fs::path tmp = root / (checkpoint_name(state.step) + ".tmp");
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  const std::string weights = io::encode_safetensors(model.named_parameters(), {{"format", "pt"}, {"step", std::to_string(state.step)}});
  const std::string moments = io::encode_safetensors(optimizer.state());
  io::write_file_atomic(tmp / "model.safetensors", weights);
  io::write_file_atomic(tmp / "optimizer.safetensors", moments);
  nlohmann::json j{{"step", state.step},
                   {"tokens", state.tokens},
                   {"optimizer_steps", optimizer.steps()},
                   {"loader", {{"epoch", state.loader.epoch}, {"cursor", state.loader.cursor}, {"rng", state.loader.rng}}},
                   {"sha256", {{"model.safetensors", io::sha256_hex(weights)}, {"optimizer.safetensors", io::sha256_hex(moments)}}}};
  io::write_file_atomic(tmp / "state.json", j.dump(2) + "\n");
  fs::remove_all(final_dir);
  fs::rename(tmp, final_dir);
  io::fsync_directory(root);
  io::write_file_atomic(root / "latest", checkpoint_name(state.step) + "\n");

  // Keep the newest `keep` checkpoints.
  std::vector<fs::path> all;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory() && is_checkpoint_name(e.path().filename().string())) all.push_back(e.path());
  std::sort(all.begin(), all.end());
  for (std::size_t i = 0; i + static_cast<std::size_t>(keep) < all.size(); ++i) fs::remove_all(all[i]);
}

std::optional<fs::path> latest_checkpoint(const fs::path& run_dir) {
  const fs::path latest = run_dir / "checkpoints" / "latest";
  if (!fs::exists(latest)) return std::nullopt;
  std::string name = read_all(latest);
  while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
  const fs::path dir = run_dir / "checkpoints" / name;
  if (!fs::is_directory(dir)) fail("{}: names {}, which does not exist", latest.string(), dir.string());
  return dir;
}

TrainingState load_checkpoint(const fs::path& dir, nn::Module& model, optim::AdamW* optimizer) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_all(dir / "state.json"));
  } catch (const nlohmann::json::exception& e) {
    fail("{}: corrupted checkpoint state ({})", (dir / "state.json").string(), e.what());
  }
  auto verified = [&](const std::string& file) {
    const fs::path p = dir / file;
    const std::string bytes = read_all(p);
    if (!j.contains("sha256") || io::sha256_hex(bytes) != j["sha256"].value(file, ""))
      fail("{}: checkpoint file is damaged (checksum differs from state.json)", p.string());
    return io::read_safetensors(p);
  };
  const auto weights = verified("model.safetensors");
  for (auto& [name, p] : model.named_parameters()) {
    const Tensor& saved = weights.get(name);
    if (saved.shape() != p.shape())
      fail("{}: '{}' has shape {} but the model has {} (was the config changed?)", weights.path.string(), name,
           to_string(saved.shape()), to_string(p.shape()));
    copy_into(p, saved);
  }
  TrainingState s;
  try {
    s.step = j.at("step");
    s.tokens = j.at("tokens");
    s.loader.epoch = j.at("loader").at("epoch");
    s.loader.cursor = j.at("loader").at("cursor");
    s.loader.rng = j.at("loader").at("rng");
    if (optimizer != nullptr) {
      const auto moments = verified("optimizer.safetensors");
      optimizer->load_state(moments.tensors, j.at("optimizer_steps"));
    }
  } catch (const nlohmann::json::exception& e) {
    fail("{}: corrupted checkpoint state ({})", (dir / "state.json").string(), e.what());
  }
  return s;
}

}  // namespace sinklab::train
