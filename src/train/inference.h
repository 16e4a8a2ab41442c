#pragma once
// Using a trained run: load its model and tokenizer, evaluate, sample.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "data/loader.h"
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

// Mean loss over batches, without gradients.
double evaluate(const nn::Transformer& model, const std::vector<data::Batch>& batches);

// The fixed validation batches of a run: drawn once from the validation split by the run's seed.
std::vector<data::Batch> validation_batches(const Config& config, const data::TokenFile& valid, std::int32_t bos_id);

struct SampleOptions {
  std::string prompt;
  std::int64_t tokens = 200;
  double temperature = 0.8;  // 0: greedy
  std::uint64_t seed = 0;
};

// The prompt followed by up to `tokens` sampled tokens (stops early at EOS).
std::string sample(const LoadedRun& run, const SampleOptions& options);

}  // namespace sinklab::train
