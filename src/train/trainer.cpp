#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>

#include "data/dataset.h"
#include "data/shard.h"
#include "dist/process_group.h"
#include "engine/parallel.h"
#include "io/atomic_file.h"
#include "ops/ops.h"
#include "train/checkpoint.h"
#include "train/config.h"
#include "train/data_parallel.h"
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
  const dist::ProcessGroup* group = opt.processes && opt.processes->size() > 1 ? opt.processes : nullptr;
  const bool leader = !group || group->leader();
  const int processes = group ? group->size() : 1;
  // Everything that can fail on bad input happens before anything is written.
  Config config = load_config(opt.config_file, opt.overrides);
  const std::string name = opt.name.empty() ? opt.config_file.stem().string() : opt.name;
  if (opt.name.empty()) check_folder_name(name, "the config file's name, the default run name,", "; give one with --name");
  check_folder_name(name, "--name");
  check_memory(process_memory(config, group ? group->local_size() : 1, processes),
               fmt::format("training {}", (opt.runs_dir / name).string()));
  const std::string resolved = resolved_yaml(config);
  // Only the leader opens (creates, locks) the run folder; the others read it once it has.
  std::optional<RunFolder> folder;
  fs::path run_dir = opt.runs_dir / name;
  std::optional<fs::path> checkpoint;
  if (leader) {
    folder.emplace(opt.runs_dir, name, opt.resume);
    run_dir = folder->path();
    if (folder->existed()) {
      const fs::path saved = run_dir / run_marker;
      if (fs::exists(saved)) {
        // Compared after both pass through the same parser, so formatting never counts as a change;
        // thread count and log cadence may change between sessions.
        Config before = load_config(saved), now = config;
        before.train.threads = now.train.threads;
        before.train.log_every = now.train.log_every;
        // train.steps may change (a run extended or cut short) as long as every step keeps its
        // learning rate, which holds when the cosine ends where it did.
        const std::int64_t saved_decay = before.schedule().steps;
        before.optim.decay_steps = saved_decay;
        now.optim.decay_steps = now.schedule().steps;
        before.train.steps = now.train.steps;
        const std::string diff = first_difference(resolved_yaml(before), resolved_yaml(now));
        if (!diff.empty()) {
          Config kept = now;
          kept.optim.decay_steps = saved_decay;
          const bool only_schedule = first_difference(resolved_yaml(before), resolved_yaml(kept)).empty();
          fail("{}: the config differs from the run being resumed ({}){}", saved.string(), diff,
               only_schedule ? fmt::format("; to extend the run, keep its schedule with --set optim.decay_steps={}", saved_decay)
                             : "");
        }
      }
      checkpoint = latest_checkpoint(run_dir);
    }
  }
  if (group) {
    group->barrier();
    if (!leader && opt.resume) checkpoint = latest_checkpoint(run_dir);
  }
  const int cores = opt.processes ? opt.processes->share_of(num_threads()) : std::max(1, num_threads());
  set_num_threads(config.train.threads > 0 ? static_cast<int>(config.train.threads) : cores);

  // The leader prepares the data first: it may download or tokenize into the data folder, which
  // the others then only read.
  std::ostream quiet(nullptr);
  std::optional<data::PreparedData> prepared;
  if (leader) prepared.emplace(data::prepare_data(config.data, run_dir, config.seed, std::cout));
  if (group) group->wait_for_all();
  if (!leader) prepared.emplace(data::prepare_data(config.data, run_dir, config.seed, quiet));
  data::PreparedData& data = *prepared;
  const nn::ModelConfig mc = model_config(config, *data.tokenizer);
  nn::Transformer model(mc, config.seed);
  const std::unique_ptr<optim::Optimizer> optimizer = optim::make_optimizer(model.named_parameters(), config.optim);
  std::unique_ptr<data::BatchSource> loader =
      data::open_batches(config.data, data, data::Split::train, config.data.context, config.train.batch_size, config.seed);
  if (group)
    loader = std::make_unique<data::ShardedBatches>(std::move(loader), config.train.batch_size, group->rank(), processes);
  const auto val_batches = validation_batches(config, data);
  const bool by_class = data.task != nullptr;

  const std::int64_t step_tokens = config.train.batch_size * config.data.context * config.train.grad_accum;
  TrainingState state;
  std::int64_t saved_processes = processes;
  if (checkpoint) {
    state = load_checkpoint(*checkpoint, model, optimizer.get(), config.train.steps);
    if (state.tokens != state.step * step_tokens)
      fail("{}: records {} tokens at step {}; this config trains {} tokens per step", (*checkpoint / "state.json").string(),
           state.tokens, state.step, step_tokens);
    if (state.step > 0) loader->set_state(state.loader);  // an import's step 0 has read nothing
    saved_processes = state.processes;
  }
  state.processes = processes;
  if (group) check_same_weights(model, *group, checkpoint ? "after loading " + checkpoint->string() : "at initialisation");
  std::optional<MetricsLog> metrics;
  std::optional<Progress> progress;
  if (leader) {
    io::write_file_atomic(run_dir / run_marker, resolved);
    folder->keep();
    if (!data.tokenizer_file.empty() && !fs::exists(run_dir / run_tokenizer))
      fs::copy_file(data.tokenizer_file, run_dir / run_tokenizer);
    metrics.emplace(run_dir, state.step, by_class);
    progress.emplace(config.train.steps, config.train.log_every, run_dir / "log.txt");
  }
  // One voice for the job: the others' lines would repeat the leader's.
  auto say = [&](const std::string& line) {
    if (progress && !line.empty()) progress->line(line);
  };
  const std::int64_t total = config.train.steps;
  const std::string layout =
      group ? fmt::format("{} processes x {} thread{}", processes, num_threads(), num_threads() == 1 ? "" : "s")
            : fmt::format("{} thread{}", num_threads(), num_threads() == 1 ? "" : "s");
  say(fmt::format("{} {} | {} parameters | vocab {} | {} steps x {} tokens | {}{}", checkpoint ? "resuming" : "training",
                  run_dir.string(), model.parameter_count(), mc.vocab_size, total, step_tokens, layout,
                  checkpoint ? fmt::format(" | from step {}", state.step) : ""));
  if (saved_processes != processes)
    say(fmt::format("the checkpoint was written by {} process{}, this run has {}: the same weights, optimizer state and "
                    "batches continue; only the order in which gradients are summed changes",
                    saved_processes, saved_processes == 1 ? "" : "es", processes));
  if (group) {
    const auto [first, end] = data::ShardedBatches::rows(config.train.batch_size, 0, processes);
    if (config.train.batch_size % processes != 0)
      say(fmt::format("train.batch_size {} does not divide over {} processes: each takes {} or {} sequences, and the "
                      "loss weighs every counted target equally", config.train.batch_size, processes,
                      config.train.batch_size / processes, config.train.batch_size / processes + 1));
    else
      say(fmt::format("each process trains on {} of the {} sequences of a batch", end - first, config.train.batch_size));
  }

  TrainingObserver* observer = leader ? opt.observer : nullptr;
  if (observer) {
    observer->started({config, model, data, run_dir, state.step});
    if (state.step == 0) say(observer->stepped(0, 0, false));
  }

  InterruptGuard interrupt;
  const auto schedule = config.schedule();
  const std::int64_t first_step = state.step;
  LocalGradients one_process;
  std::optional<DataParallel> data_parallel;
  if (group) data_parallel.emplace(model.parameters(), *group);
  GradientSync& sync = data_parallel ? static_cast<GradientSync&>(*data_parallel) : one_process;
  TrainResult result{run_dir, state.step, false, false};
  while (state.step < total) {
    const auto t0 = Clock::now();
    const double lr = schedule.at(state.step);
    // The loss and the norm are the whole batch's, so every process decides alike.
    const StepResult step = train_step(model, *optimizer, *loader, config.train.grad_accum, config.optim.clip, lr, sync);
    if (!step.updated) {
      const auto kept = latest_checkpoint(run_dir);
      say(fmt::format("step {}: the loss is {} and the gradient norm {} — stopping (try a lower optim.lr)", state.step + 1,
                      step.loss, step.grad_norm));
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
      const EvalLoss val = evaluate(model, val_batches, group);
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
      say(fmt::format("step {}/{} | val_loss {:.4f}{} | loss {:.4f}", state.step, total, val.loss, classes, step.loss));
    }
    if (metrics) metrics->write(m);
    if (progress) progress->step(m, first_step);
    if (group && state.step == first_step + 1) say(dist::interrupt_advice(ms / 1000));
    if (observer) say(observer->stepped(state.step, state.tokens, last));
    const bool stop_here = opt.stop_after > 0 && state.step >= opt.stop_after;
    // A signal may reach the processes at different steps: they stop together, at the first step
    // any of them saw it.
    result.interrupted = group ? group->any(InterruptGuard::requested()) : InterruptGuard::requested();
    if (last || stop_here || result.interrupted ||
        (config.train.checkpoint_every > 0 && state.step % config.train.checkpoint_every == 0)) {
      state.loader = loader->state();
      if (leader) save_checkpoint(run_dir, model, optimizer.get(), state, config.train.keep_checkpoints);
      if (group) check_same_weights(model, *group, fmt::format("at step {}", state.step));
    }
    if (result.interrupted) {
      say(fmt::format("interrupted: checkpoint written at step {}; continue with --resume", state.step));
      break;
    }
    if (stop_here) break;
  }
  if (progress) progress->finish();
  result.step = state.step;
  result.finished = state.step >= total;
  if (observer) say(observer->finished());
  if (result.finished) say(fmt::format("done: {} steps, {} tokens; run folder {}", state.step, state.tokens, run_dir.string()));
  // The others wait for the leader's last writes, so the launcher sees every process end together.
  if (group) group->wait_for_all();
  return result;
}

}  // namespace sinklab::train
