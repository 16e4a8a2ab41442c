#pragma once
// Checkpoints: runs/<run>/checkpoints/step_<N>/{model.safetensors, optimizer.safetensors, state.json},
// and checkpoints/latest naming the newest complete one. A checkpoint is written into a temporary
// folder, fsynced and renamed into place before `latest` is switched (atomically), so a crash or
// Ctrl-C at any moment leaves the previous checkpoint readable. state.json records the sha256 of
// both tensor files, so a damaged checkpoint is refused with a clear error.
#include <filesystem>
#include <optional>
#include <string>

#include "data/loader.h"
#include "nn/module.h"
#include "optim/optimizer.h"

namespace sinklab::train {

struct TrainingState {
  std::int64_t step = 0;
  std::int64_t tokens = 0;
  data::LoaderState loader;  // the same on every process of a data-parallel run (data/shard.h)
  std::int64_t processes = 1;  // how many processes trained up to here (1 when state.json predates it)
};

// "step_0000100": the folder of a step's checkpoint under runs/<run>/checkpoints/.
std::string checkpoint_name(std::int64_t step);

// Refuses (throws, writing nothing) when a weight is not finite: `latest` keeps naming the last
// checkpoint whose training was finite. Without an optimizer (weights imported from elsewhere) no
// optimizer.safetensors is written, and training from it starts with fresh moments.
void save_checkpoint(const std::filesystem::path& run_dir, const nn::Module& model, const optim::Optimizer* optimizer,
                     const TrainingState& state, std::int64_t keep);

// The first parameter holding a NaN or an infinity, if any.
std::optional<std::string> first_non_finite(const nn::Module& model);

// The newest checkpoint's folder, if any. `latest` must name a step_N folder of this run.
std::optional<std::filesystem::path> latest_checkpoint(const std::filesystem::path& run_dir);

// Restores model weights and (when given) optimizer state; returns the saved state. Everything
// read is checked first: the files' sha256, state.json's numbers (whole, in range: the step
// matches the folder's name and is at most max_step, the config's train.steps), and the tensors
// (exactly the model's names, float32, the model's shapes).
TrainingState load_checkpoint(const std::filesystem::path& checkpoint_dir, nn::Module& model, optim::Optimizer* optimizer,
                              std::int64_t max_step);

}  // namespace sinklab::train
