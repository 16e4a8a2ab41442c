#include "train/inference.h"

#include <cmath>

#include "data/dataset.h"
#include "engine/rng.h"
#include "ops/ops.h"
#include "train/checkpoint.h"
#include "train/config.h"

namespace sinklab::train {

nn::ModelConfig model_config(const Config& config, const data::Tokenizer& tokenizer) {
  nn::ModelConfig m = config.model;
  m.vocab_size = tokenizer.vocab_size();
  m.context = config.data.context;
  return m;
}

LoadedRun load_run(const std::filesystem::path& run_dir, std::int64_t step) {
  const auto config_file = run_dir / "config.resolved.yaml";
  if (!std::filesystem::exists(config_file)) fail("{}: not a run folder (no config.resolved.yaml)", run_dir.string());
  LoadedRun run;
  run.config = load_config(config_file);
  run.tokenizer = data::load_tokenizer(run.config.data, run_dir / "tokenizer.model");
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

Tensor batch_loss(const nn::Transformer& model, const data::Batch& batch, ClassLoss& attn, ClassLoss& free) {
  if (!batch.needs_attention.defined()) return model.loss(batch.inputs, batch.targets, data::ignore_index);
  const Tensor logits = model.forward(batch.inputs);
  attn.add(logits, data::class_targets(batch, true));
  free.add(logits, data::class_targets(batch, false));
  return ops::cross_entropy(logits, batch.targets, data::ignore_index);
}

EvalLoss evaluate(const nn::Transformer& model, const std::vector<data::Batch>& batches) {
  NoGradGuard no_grad;
  EvalLoss out;
  ClassLoss attn, free;
  for (const auto& b : batches) out.loss += batch_loss(model, b, attn, free).item() / static_cast<double>(batches.size());
  out.needs_attention = attn.mean();
  out.no_attention = free.mean();
  return out;
}

void ClassLoss::add(const Tensor& logits, const Tensor& targets) {
  double n = 0;
  for (std::int32_t t : targets.to_vector<std::int32_t>()) n += t != data::ignore_index;
  if (n == 0) return;
  NoGradGuard no_grad;
  sum += ops::cross_entropy(logits, targets, data::ignore_index).item() * n;
  count += n;
}

std::optional<double> ClassLoss::mean() const { return count > 0 ? std::optional<double>(sum / count) : std::nullopt; }

std::vector<data::Batch> validation_batches(const Config& c, const data::PreparedData& data) {
  // A seed of its own, so the validation set does not move when training settings change.
  const auto source = data::open_batches(c.data, data, data::Split::valid, c.data.context, c.train.batch_size, c.seed + 0x5EED);
  std::vector<data::Batch> batches;
  for (std::int64_t i = 0; i < c.train.eval_batches; ++i) batches.push_back(source->next());
  return batches;
}

std::string sample(const LoadedRun& run, const SampleOptions& o) {
  if (o.temperature < 0) fail("sample: temperature must not be negative, got {}", o.temperature);
  const auto& tok = *run.tokenizer;
  std::vector<std::int32_t> ids{tok.bos()};
  const auto prompt = tok.encode(o.prompt);
  ids.insert(ids.end(), prompt.begin(), prompt.end());
  Rng rng(o.seed);
  NoGradGuard no_grad;
  const auto V = tok.vocab_size();
  const std::int64_t context = run.config.data.context;
  for (std::int64_t n = 0; n < o.tokens; ++n) {
    const std::size_t start = ids.size() > static_cast<std::size_t>(context) ? ids.size() - context : 0;
    const std::vector<std::int32_t> window(ids.begin() + static_cast<std::ptrdiff_t>(start), ids.end());
    const auto T = static_cast<std::int64_t>(window.size());
    const Tensor logits = run.model->forward(Tensor::from_vector(window, {1, T}));
    const float* last = logits.data<float>() + (T - 1) * V;
    std::int32_t next = 0;
    if (o.temperature == 0) {
      next = static_cast<std::int32_t>(std::max_element(last, last + V) - last);
    } else {
      const float m = *std::max_element(last, last + V);
      std::vector<double> p(static_cast<std::size_t>(V));
      double z = 0;
      for (std::int64_t v = 0; v < V; ++v) z += (p[v] = std::exp((last[v] - m) / o.temperature));
      double u = rng.uniform() * z;
      for (next = 0; next < V - 1 && (u -= p[next]) > 0; ++next) {
      }
    }
    if (next == tok.eos()) break;
    ids.push_back(next);
  }
  // Decoding prompt and continuation together keeps the spacing between them right.
  return tok.decode(std::vector<std::int32_t>(ids.begin() + 1, ids.end()));
}

}  // namespace sinklab::train
