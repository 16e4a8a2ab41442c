#include "train/checkpoint.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "io/atomic_file.h"
#include "io/json_parse.h"
#include "io/safetensors.h"
#include "io/sha256.h"

namespace sinklab::train {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& p) {
  if (!fs::is_regular_file(fs::symlink_status(p))) fail("{}: missing, or not a regular file", p.string());
  std::ifstream in(p, std::ios::binary);
  if (!in) fail("{}: cannot read", p.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool is_checkpoint_name(const std::string& name) {
  return name.size() > 5 && name.starts_with("step_") && name.find_first_not_of("0123456789", 5) == std::string::npos;
}

}  // namespace

std::string checkpoint_name(std::int64_t step) { return fmt::format("step_{:07d}", step); }

std::optional<std::string> first_non_finite(const nn::Module& model) {
  for (const auto& [name, p] : model.named_parameters()) {
    const Tensor c = p.is_contiguous() ? p : p.clone();
    const float* v = c.data<float>();
    for (std::int64_t i = 0; i < c.numel(); ++i)
      if (!std::isfinite(v[i])) return name;
  }
  return std::nullopt;
}

void save_checkpoint(const fs::path& run_dir, const nn::Module& model, const optim::Optimizer* optimizer,
                     const TrainingState& state, std::int64_t keep) {
  if (const auto bad = first_non_finite(model))
    fail("not writing the checkpoint of step {}: '{}' holds non-finite values (training diverged; the newest checkpoint "
         "keeps the last finite weights)",
         state.step, *bad);
  const fs::path root = run_dir / "checkpoints";
  const fs::path final_dir = root / checkpoint_name(state.step);
  const fs::path tmp = root / (checkpoint_name(state.step) + ".tmp");
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  const std::string weights = io::encode_safetensors(model.named_parameters(), {{"format", "pt"}, {"step", std::to_string(state.step)}});
  io::write_file_atomic(tmp / "model.safetensors", weights);
  nlohmann::json sums{{"model.safetensors", io::sha256_hex(weights)}};
  if (optimizer != nullptr) {
    const std::string moments = io::encode_safetensors(optimizer->state());
    io::write_file_atomic(tmp / "optimizer.safetensors", moments);
    sums["optimizer.safetensors"] = io::sha256_hex(moments);
  }
  nlohmann::json j{{"step", state.step},
                   {"tokens", state.tokens},
                   {"optimizer_steps", optimizer != nullptr ? optimizer->steps() : 0},
                   {"processes", state.processes},
                   {"loader", {{"epoch", state.loader.epoch}, {"cursor", state.loader.cursor}, {"rng", state.loader.rng}}},
                   {"sha256", sums}};
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
  if (!fs::exists(fs::symlink_status(latest))) return std::nullopt;
  if (!fs::is_regular_file(fs::symlink_status(latest))) fail("{}: not a regular file", latest.string());
  if (fs::file_size(latest) > 64) fail("{}: too long to name a checkpoint", latest.string());
  std::string name = read_all(latest);
  while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
  if (!is_checkpoint_name(name))
    fail("{}: names '{}', which is not a checkpoint of this run (step_<N>)", latest.string(), name);
  const fs::path dir = run_dir / "checkpoints" / name;
  if (!fs::is_directory(fs::symlink_status(dir))) fail("{}: names {}, which does not exist", latest.string(), dir.string());
  return dir;
}

namespace {

// A whole, non-negative number of state.json, at most `max`.
std::uint64_t whole(const nlohmann::json& j, const std::string& key, std::uint64_t max, const fs::path& file) {
  if (!j.is_number_unsigned() && !(j.is_number_integer() && j.get<std::int64_t>() >= 0))
    fail("{}: '{}' must be a whole number >= 0, got {}", file.string(), key, j.dump());
  const auto v = j.get<std::uint64_t>();
  if (v > max) fail("{}: '{}' is {}, more than {}", file.string(), key, v, max);
  return v;
}

}  // namespace

TrainingState load_checkpoint(const fs::path& dir, nn::Module& model, optim::Optimizer* optimizer, std::int64_t max_step) {
  const fs::path state_file = dir / "state.json";
  std::error_code ec;
  if (fs::file_size(state_file, ec) > (1 << 20) && !ec) fail("{}: too large for a checkpoint state", state_file.string());
  nlohmann::json j;
  try {
    j = io::parse_json(read_all(state_file), state_file.string());
  } catch (const nlohmann::json::exception& e) {
    fail("{}: corrupted checkpoint state ({})", state_file.string(), e.what());
  }
  TrainingState s;
  try {
    constexpr auto any = std::numeric_limits<std::uint64_t>::max();
    constexpr auto int_max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    s.step = static_cast<std::int64_t>(whole(j.at("step"), "step", int_max, state_file));
    if (dir.filename().string() != checkpoint_name(s.step))
      fail("{}: records step {}, but it lies in the folder {}", state_file.string(), s.step, dir.filename().string());
    if (s.step > max_step)
      fail("{}: the checkpoint is at step {}, past train.steps = {}; a run goes on from it only with train.steps >= {}",
           state_file.string(), s.step, max_step, s.step);
    s.tokens = static_cast<std::int64_t>(whole(j.at("tokens"), "tokens", int_max, state_file));
    s.loader.epoch = whole(j.at("loader").at("epoch"), "loader.epoch", int_max, state_file);
    s.loader.cursor = whole(j.at("loader").at("cursor"), "loader.cursor", int_max, state_file);
    const auto& rng = j.at("loader").at("rng");
    if (!rng.is_array() || rng.size() != s.loader.rng.size())
      fail("{}: 'loader.rng' must be a list of {} whole numbers", state_file.string(), s.loader.rng.size());
    for (std::size_t i = 0; i < s.loader.rng.size(); ++i) s.loader.rng[i] = whole(rng[i], "loader.rng", any, state_file);
    if (j.contains("processes")) {
      s.processes = static_cast<std::int64_t>(whole(j.at("processes"), "processes", int_max, state_file));
      if (s.processes < 1) fail("{}: 'processes' must be at least 1, got 0", state_file.string());
    }
    const auto optimizer_steps = whole(j.at("optimizer_steps"), "optimizer_steps", int_max, state_file);
    if (!j.at("sha256").is_object()) fail("{}: 'sha256' must map file names to checksums", state_file.string());
    auto verified = [&](const std::string& file) {
      const fs::path p = dir / file;
      const std::string bytes = read_all(p);
      const auto& sum = j.at("sha256").at(file);
      if (!sum.is_string() || io::sha256_hex(bytes) != sum.get<std::string>())
        fail("{}: checkpoint file is damaged (checksum differs from state.json)", p.string());
      return io::decode_safetensors(bytes, p);
    };
    const auto weights = verified("model.safetensors");
    const auto params = model.named_parameters();
    for (const auto& saved : weights.tensors)  // not a structured binding: clang 14 cannot capture one
      if (std::none_of(params.begin(), params.end(), [&](const auto& p) { return p.first == saved.first; }))
        fail("{}: holds '{}', which the model does not have (was the config changed?)", weights.path.string(), saved.first);
    for (auto& [name, p] : model.named_parameters()) {
      const Tensor& saved = weights.get(name);
      if (saved.dtype() != DType::f32)
        fail("{}: '{}' is {}, sinklab's weights are float32", weights.path.string(), name, dtype_name(saved.dtype()));
      if (saved.shape() != p.shape())
        fail("{}: '{}' has shape {} but the model has {} (was the config changed?)", weights.path.string(), name,
             to_string(saved.shape()), to_string(p.shape()));
      copy_into(p, saved);
    }
    // A checkpoint without moments (an import) starts the optimizer afresh: it has taken no step.
    if (optimizer != nullptr && !j.at("sha256").contains("optimizer.safetensors") && optimizer_steps != 0)
      fail("{}: records {} optimizer steps but no optimizer.safetensors", state_file.string(), optimizer_steps);
    if (optimizer != nullptr && j.at("sha256").contains("optimizer.safetensors")) {
      const auto moments = verified("optimizer.safetensors");
      optimizer->load_state(moments.tensors, static_cast<std::int64_t>(optimizer_steps), moments.path);
    }
  } catch (const nlohmann::json::exception& e) {
    fail("{}: corrupted checkpoint state ({})", state_file.string(), e.what());
  }
  return s;
}

}  // namespace sinklab::train
