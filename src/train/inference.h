#pragma once
// Using a trained run: load its model and tokenizer, evaluate, sample.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.h"
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

struct EvalLoss {
  double loss = 0;  // mean over batches of each batch's mean loss
  // Synthetic tasks: the mean over the targets that need attention, and over those that do not.
  std::optional<double> needs_attention, no_attention;
};

// The mean loss over the counted targets of one query class, accumulated over batches (each
// target counts once, whatever its batch holds); empty when no target was counted.
struct ClassLoss {
  double sum = 0, count = 0;
  void add(const Tensor& logits, const Tensor& targets);  // without gradients
  std::optional<double> mean() const;
};

// The mean loss of one batch, with gradients when grad mode is on. A batch with query classes (a
// synthetic task) also adds its class losses into attn and free, which needs the logits; any other
// goes through the fused head and never makes them.
Tensor batch_loss(const nn::Transformer& model, const data::Batch& batch, ClassLoss& attn, ClassLoss& free);

// Losses over batches, without gradients.
EvalLoss evaluate(const nn::Transformer& model, const std::vector<data::Batch>& batches);

// The fixed validation batches of a run: drawn once from the validation split (or stream) by the
// run's seed.
std::vector<data::Batch> validation_batches(const Config& config, const data::PreparedData& data);

inline constexpr std::int64_t max_sample_tokens = 1'000'000;

struct SampleOptions {
  std::string prompt;
  std::int64_t tokens = 200;
  double temperature = 0.8;  // 0: greedy
  std::uint64_t seed = 0;
};

// The prompt followed by up to `tokens` sampled tokens (stops early at EOS).
std::string sample(const LoadedRun& run, const SampleOptions& options);

}  // namespace sinklab::train
