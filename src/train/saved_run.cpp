#include "train/saved_run.h"

#include <cmath>

#include "data/dataset.h"
#include "train/checkpoint.h"
#include "train/config.h"
#include "train/run_folder.h"

namespace sinklab::train {

nn::ModelConfig model_config(const Config& config, const data::Tokenizer& tokenizer) {
  nn::ModelConfig m = config.model;
  m.vocab_size = tokenizer.vocab_size();
  m.context = config.data.context;
  return m;
}

LoadedRun load_run(const std::filesystem::path& run_dir, std::int64_t step) {
  const auto config_file = run_dir / run_marker;
  if (!std::filesystem::exists(config_file)) fail("{}: not a run folder (no {})", run_dir.string(), run_marker);
  LoadedRun run;
  run.config = load_config(config_file);
  run.tokenizer = data::load_tokenizer(run.config.data, run_dir);
  run.model = std::make_unique<nn::Transformer>(model_config(run.config, *run.tokenizer), run.config.seed);
  auto checkpoint = latest_checkpoint(run_dir);
  if (!checkpoint) fail("{}: the run has no checkpoint yet", run_dir.string());
  if (step < 0 || step > run.config.train.steps)
    fail("{}: --checkpoint {} is outside the run's steps [0, {}]", run_dir.string(), step, run.config.train.steps);
  if (step > 0) {
    checkpoint = run_dir / "checkpoints" / checkpoint_name(step);
    if (!std::filesystem::is_directory(std::filesystem::symlink_status(*checkpoint)))
      fail("{}: no checkpoint of step {} (train.keep_checkpoints keeps only the newest)", run_dir.string(), step);
  }
  run.step = load_checkpoint(*checkpoint, *run.model, nullptr, run.config.train.steps).step;
  if (const auto bad = first_non_finite(*run.model))
    fail("{}: '{}' holds non-finite values (the run diverged); use an earlier checkpoint", checkpoint->string(), *bad);
  run.model->train(false);
  return run;
}

}  // namespace sinklab::train
