#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>

#include "data/dataset.h"
#include "engine/parallel.h"
#include "io/atomic_file.h"
#include "ops/ops.h"
#include "train/checkpoint.h"
#include "train/config.h"
#include "train/evaluation.h"
#include "train/loss.h"
#include "train/saved_run.h"
#include "train/train_step.h"
#include "train/interrupt.h"
#include "train/memory_estimate.h"
#include "train/metrics.h"
#include "train/observer.h"
#include "train/progress.h"
#include "train/run_folder.h"

namespace sinklab::train {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The first line where two resolved configs differ, for the resume error.
std::string first_difference(const std::string& a, const std::string& b) {
  std::istringstream sa(a), sb(b);
  std::string la, lb;
  while (true) {
    const bool ga = static_cast<bool>(std::getline(sa, la)), gb = static_cast<bool>(std::getline(sb, lb));
    if (!ga && !gb) return "";
    if (la != lb || ga != gb) return fmt::format("saved '{}', now '{}'", ga ? la : "", gb ? lb : "");
  }
}

}  // namespace

TrainResult run_training(const TrainOptions& opt) {
  // Everything that can fail on bad input happens before anything is written.
  Config config = load_config(opt.config_file, opt.overrides);
  const std::string name = opt.name.empty() ? opt.config_file.stem().string() : opt.name;
  if (opt.name.empty()) check_folder_name(name, "the config file's name, the default run name,", "; give one with --name");
  check_folder_name(name, "--name");
  check_memory(training_memory(config), fmt::format("training {}", (opt.runs_dir / name).string()));
  const std::string resolved = resolved_yaml(config);
  RunFolder folder(opt.runs_dir, name, opt.resume);
  const fs::path run_dir = folder.path();
  std::optional<fs::path> checkpoint;
  if (folder.existed()) {
    const fs::path saved = run_dir / run_marker;
    if (fs::exists(saved)) {
      // Compared after both pass through the same parser, so formatting never counts as a change;
      // thread count and log cadence may change between sessions.
      Config before = load_config(saved), now = config;
      before.train.threads = now.train.threads;
      before.train.log_every = now.train.log_every;
      const std::string diff = first_difference(resolved_yaml(before), resolved_yaml(now));
      if (!diff.empty()) fail("{}: the config differs from the run being resumed ({})", saved.string(), diff);
    }
    checkpoint = latest_checkpoint(run_dir);
  }
  set_num_threads(config.train.threads > 0 ? static_cast<int>(config.train.threads) : std::max(1, num_threads()));

  data::PreparedData data = data::prepare_data(config.data, config.seed, std::cout);
  const nn::ModelConfig mc = model_config(config, *data.tokenizer);
  nn::Transformer model(mc, config.seed);
  optim::AdamW optimizer(model.named_parameters(), config.optim.adamw);
  const auto loader = data::open_batches(config.data, data, data::Split::train, config.data.context, config.train.batch_size, config.seed);
  const auto val_batches = validation_batches(config, data);
  const bool by_class = data.task != nullptr;

  const std::int64_t step_tokens = config.train.batch_size * config.data.context * config.train.grad_accum;
  TrainingState state;
  if (checkpoint) {
    state = load_checkpoint(*checkpoint, model, &optimizer, config.train.steps);
    if (state.tokens != state.step * step_tokens)
      fail("{}: records {} tokens at step {}; this config trains {} tokens per step", (*checkpoint / "state.json").string(),
           state.tokens, state.step, step_tokens);
    loader->set_state(state.loader);
  }
  io::write_file_atomic(run_dir / run_marker, resolved);
  folder.keep();
  if (!data.tokenizer_file.empty() && !fs::exists(run_dir / run_tokenizer))
    fs::copy_file(data.tokenizer_file, run_dir / run_tokenizer);
  MetricsLog metrics(run_dir, state.step, by_class);
  const std::int64_t total = config.train.steps;
  Progress progress(total, config.train.log_every, run_dir / "log.txt");
  progress.line(fmt::format("{} {} | {} parameters | vocab {} | {} steps x {} tokens | {} thread{}{}",
                            checkpoint ? "resuming" : "training", run_dir.string(), model.parameter_count(), mc.vocab_size,
                            total, step_tokens, num_threads(), num_threads() == 1 ? "" : "s",
                            checkpoint ? fmt::format(" | from step {}", state.step) : ""));

  if (opt.observer) {
    opt.observer->started({config, model, data, run_dir, state.step});
    if (state.step == 0) {
      const std::string note = opt.observer->stepped(0, 0, false);
      if (!note.empty()) progress.line(note);
    }
  }

  InterruptGuard interrupt;
  const auto schedule = config.schedule();
  const std::int64_t first_step = state.step;
  LocalGradients one_process;
  TrainResult result{run_dir, state.step, false, false};
  while (state.step < total) {
    const auto t0 = Clock::now();
    const double lr = schedule.at(state.step);
    const StepResult step =
        train_step(model, optimizer, *loader, config.train.grad_accum, config.optim.clip, lr, one_process);
    if (!step.updated) {
      const auto kept = latest_checkpoint(run_dir);
      progress.line(fmt::format("step {}: the loss is {} and the gradient norm {} — stopping (try a lower optim.lr)",
                                state.step + 1, step.loss, step.grad_norm));
      fail("training diverged at step {} (loss {}, gradient norm {}); {}", state.step + 1, step.loss, step.grad_norm,
           kept ? fmt::format("the newest checkpoint, {}, holds the last finite weights", kept->string())
                : std::string("no checkpoint was written before it"));
    }
    ++state.step;
    state.tokens += step_tokens;
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    StepMetrics m;
    m.step = state.step, m.tokens = state.tokens, m.loss = step.loss, m.lr = lr, m.grad_norm = step.grad_norm, m.step_ms = ms;
    m.tokens_per_s = static_cast<double>(step_tokens) / (ms / 1000.0);
    m.loss_needs_attn = step.needs_attention.mean();
    m.loss_no_attn = step.no_attention.mean();
    const bool last = state.step == total;
    if ((config.train.eval_every > 0 && state.step % config.train.eval_every == 0) || last) {
      const EvalLoss val = evaluate(model, val_batches);
      if (!std::isfinite(val.loss)) {
        const auto kept = latest_checkpoint(run_dir);
        fail("training diverged at step {}: the validation loss is {}{}", state.step, val.loss,
             kept ? fmt::format("; the newest checkpoint, {}, holds the last finite weights", kept->string()) : "");
      }
      m.val_loss = val.loss;
      m.val_loss_needs_attn = val.needs_attention;
      m.val_loss_no_attn = val.no_attention;
      std::string classes;
      if (val.needs_attention && val.no_attention)
        classes = fmt::format(" (needs attention {:.4f}, no attention {:.4f})", *val.needs_attention, *val.no_attention);
      progress.line(fmt::format("step {}/{} | val_loss {:.4f}{} | loss {:.4f}", state.step, total, val.loss, classes, step.loss));
    }
    metrics.write(m);
    progress.step(m, first_step);
    if (opt.observer) {
      const std::string note = opt.observer->stepped(state.step, state.tokens, last);
      if (!note.empty()) progress.line(note);
    }
    const bool stop_here = opt.stop_after > 0 && state.step >= opt.stop_after;
    result.interrupted = InterruptGuard::requested();
    if (last || stop_here || result.interrupted ||
        (config.train.checkpoint_every > 0 && state.step % config.train.checkpoint_every == 0)) {
      state.loader = loader->state();
      save_checkpoint(run_dir, model, optimizer, state, config.train.keep_checkpoints);
    }
    if (result.interrupted) {
      progress.line(fmt::format("interrupted: checkpoint written at step {}; continue with --resume", state.step));
      break;
    }
    if (stop_here) break;
  }
  progress.finish();
  result.step = state.step;
  result.finished = state.step >= total;
  if (opt.observer) {
    const std::string summary = opt.observer->finished();
    if (!summary.empty()) progress.line(summary);
  }
  if (result.finished) progress.line(fmt::format("done: {} steps, {} tokens; run folder {}", state.step, state.tokens, run_dir.string()));
  return result;
}

}  // namespace sinklab::train
