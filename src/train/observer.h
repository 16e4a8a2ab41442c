#pragma once
// What the trainer tells whoever watches it (analysis, wired in by the CLI): the observer reads
// the model between steps and never changes training.
#include <filesystem>
#include <string>

#include "data/dataset.h"
#include "nn/transformer.h"
#include "train/train_config.h"

namespace sinklab::train {

struct TrainingContext {
  const Config& config;
  const nn::Transformer& model;
  const data::PreparedData& data;
  std::filesystem::path run_dir;
  std::int64_t step;  // where this session starts (0, or the checkpoint it resumes from)
};

class TrainingObserver {
 public:
  virtual ~TrainingObserver() = default;
  virtual void started(const TrainingContext& context) = 0;
  // After the optimizer step `step` (and once with step 0 before a fresh run's first step).
  // A returned line is shown with the progress.
  virtual std::string stepped(std::int64_t step, std::int64_t tokens, bool last) = 0;
  // The session ends (done, stopped or interrupted); returned lines are shown with the progress.
  virtual std::string finished() = 0;
};

}  // namespace sinklab::train
