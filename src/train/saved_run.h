#pragma once
// A saved run opened for use: its resolved config, tokenizer, and the model at a checkpoint.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/tokenizer.h"
#include "nn/transformer.h"
#include "train/train_config.h"

namespace sinklab::train {

struct LoadedRun {
  Config config;
  std::unique_ptr<data::Tokenizer> tokenizer;
  std::unique_ptr<nn::Transformer> model;
  std::int64_t step = 0;
};

// Reads runs/<run>/config.resolved.yaml, its tokenizer and a checkpoint: the one of `step`, or
// the newest when step is 0.
LoadedRun load_run(const std::filesystem::path& run_dir, std::int64_t step = 0);

nn::ModelConfig model_config(const Config& config, const data::Tokenizer& tokenizer);

}  // namespace sinklab::train
