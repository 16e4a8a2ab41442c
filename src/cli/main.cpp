// sinklab: the command line. Subcommands only parse arguments and call into train/ and data/.
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <iostream>
#include <optional>
#include <nlohmann/json.hpp>

#include "analysis/fields.h"
#include "analysis/recorder.h"
#include "analysis/registry.h"
#include "cli/ablate_command.h"
#include "cli/analysis_observer.h"
#include "cli/intervene_command.h"
#include "cli/replay_command.h"
#include "io/npy.h"
#include "report/compare.h"
#include "data/dataset.h"
#include "data/fetch.h"
#include "data/manifest.h"
#include "dist/process_group.h"
#include "engine/error.h"
#include "hf/export.h"
#include "hf/import.h"
#include "hf/model_fetch.h"
#include "io/atomic_file.h"
#include "train/ablation.h"
#include "train/checkpoint.h"
#include "train/config.h"
#include "train/evaluation.h"
#include "train/sampling.h"
#include "train/saved_run.h"
#include "train/memory_estimate.h"
#include "train/metrics.h"
#include "train/trainer.h"

namespace {

namespace fs = std::filesystem;
using namespace sinklab;

fs::path runs_dir_default() {
  const char* env = std::getenv("SINKLAB_RUNS_DIR");
  return env && *env ? fs::path(env) : fs::path("runs");
}

// RUN may be a folder, or a name under the runs folder.
fs::path resolve_run(const std::string& run, const fs::path& runs_dir) {
  if (fs::is_directory(run)) return run;
  if (fs::is_directory(runs_dir / run)) return runs_dir / run;
  fail("no run '{}' (looked for the folder {} and {})", run, run, (runs_dir / run).string());
}

int cmd_analyze(const fs::path& run_dir, std::int64_t step) {
  const auto run = train::load_run(run_dir, step);
  auto data = data::prepare_data(run.config.data, run_dir, run.config.seed, std::cout);
  const data::Batch probe = analysis::probe_batch(run.config.analysis, run.config.data, data, run.config.seed);
  Tensor maps;
  nlohmann::ordered_json r{{analysis::fields::step.key, run.step}};
  const auto body = analysis::analyze(*run.model, probe, run.config.analysis, &maps);
  for (const auto& [k, v] : body.items()) r[k] = v;
  const fs::path out = run_dir / "analyze";
  fs::create_directories(out);
  const std::string stem = train::checkpoint_name(run.step);
  io::write_npy(out / (stem + ".npy"), maps);
  io::write_file_atomic(out / (stem + ".json"), r.dump() + "\n");
  namespace fields = analysis::fields;
  const auto& eps = r.at(fields::eps.key);
  for (std::size_t e = 0; e < eps.size(); ++e)
    std::cout << fmt::format("sink rate (eps {}): {:.4f}\n", eps[e].get<double>(), r.at(fields::sink_rate.key)[e].get<double>());
  std::cout << fmt::format("sink score max / median / p90: {:.4f} / {:.4f} / {:.4f}\n", r.at(fields::sink_score_max.key).get<double>(),
                           r.at(fields::sink_score_median.key).get<double>(), r.at(fields::sink_score_p90.key).get<double>());
  std::cout << fmt::format("switch heads {}, nop heads {}, broadcast heads {}\n", r.at(fields::switch_count.key).get<int>(),
                           r.at(fields::nop_count.key).get<int>(), r.at(fields::broadcast_count.key).get<int>());
  std::cout << fmt::format("written: {} and {}\n", (out / (stem + ".json")).string(), (out / (stem + ".npy")).string());
  return 0;
}

int cmd_eval(const fs::path& run_dir, std::optional<std::int64_t> batches) {
  if (batches && *batches < 1) fail("eval: --batches must be at least 1, got {}", *batches);
  auto run = train::load_run(run_dir);
  if (batches) run.config.train.eval_batches = *batches;
  train::check_memory(train::evaluation_memory(run.config, run.config.train.eval_batches), "eval of " + run_dir.string());
  auto data = data::prepare_data(run.config.data, run_dir, run.config.seed, std::cout);
  const auto val = train::validation_batches(run.config, data);
  const train::EvalLoss result = train::evaluate(*run.model, val);
  const double loss = result.loss;
  if (!std::isfinite(loss)) fail("{}: the validation loss at step {} is {} (the run diverged)", run_dir.string(), run.step, loss);
  const std::int64_t tokens = run.config.train.eval_batches * run.config.train.batch_size * run.config.data.context;
  const std::string source = data.task ? "synthetic task " + run.config.data.task : data.valid_text.string();
  std::cout << fmt::format("{} at step {}: val_loss {:.4f} (perplexity {:.2f}) on {} batches, {} tokens of {}\n",
                           run_dir.string(), run.step, loss, std::exp(loss), val.size(), tokens, source);
  nlohmann::ordered_json j{{train::metric_keys::step, run.step}, {train::metric_keys::val_loss, loss}, {"perplexity", std::exp(loss)},
                           {"batches", val.size()}, {"tokens", tokens}, {"data", source}};
  if (result.needs_attention && result.no_attention) {
    std::cout << fmt::format("  targets that need attention: {:.4f}; that need none: {:.4f}\n", *result.needs_attention,
                             *result.no_attention);
    j[train::metric_keys::val_loss_needs_attn] = *result.needs_attention;
    j[train::metric_keys::val_loss_no_attn] = *result.no_attention;
  }
  io::write_file_atomic(run_dir / "eval.json", j.dump(2) + "\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Under an MPI launcher (mpirun -np N sinklab train ...) the processes join one group here.
  std::optional<dist::ProcessGroup> processes;
  try {
    processes.emplace();
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  CLI::App app{"sinklab: train small transformers and watch attention sinks emerge"};
  app.require_subcommand(1);
  app.fallthrough();  // --runs-dir may come after the subcommand
  fs::path runs_dir = runs_dir_default();
  app.add_option("--runs-dir", runs_dir, "where runs live (default: $SINKLAB_RUNS_DIR or ./runs)");

  train::TrainOptions topt;
  auto* train_cmd = app.add_subcommand("train", "train a model from a YAML config into runs/<name>/");
  train_cmd->add_option("config", topt.config_file, "the YAML config")->required()->check(CLI::ExistingFile);
  train_cmd->add_option("--set", topt.overrides, "override a key: --set optim.lr=1e-3 (repeatable)");
  train_cmd->add_option("--name", topt.name, "run name (default: the config file's name)");
  train_cmd->add_flag("--resume", topt.resume, "continue the run from its newest checkpoint");
  train_cmd->add_option("--stop-after", topt.stop_after, "checkpoint and stop after this step (resume later)");

  cli::AblateOptions aopt;
  auto* ablate_cmd = app.add_subcommand("ablate", "run every variant x seed of an ablation file (re-run to continue)");
  ablate_cmd->add_option("file", aopt.file, "the ablation YAML file")->required()->check(CLI::ExistingFile);
  ablate_cmd->add_option("--jobs", aopt.jobs, "runs at a time; the cores are divided among them")->capture_default_str();
  ablate_cmd->add_option("--stop-after", aopt.stop_after, "stop every run after this step (continue later)");
  ablate_cmd->add_option("--max-runs", aopt.max_runs,
                         fmt::format("allow more runs than {} (a grid multiplies quickly)", train::default_max_runs));
  auto* shard = ablate_cmd->add_option("--shard", aopt.shard,
                                       "K/N: only runs i with i % N == K (0 <= K < N, as $SLURM_ARRAY_TASK_ID); shards run side by side, "
                                       "and none makes the comparison");
  auto* slurm = ablate_cmd->add_flag("--slurm", aopt.slurm,
                                     "write a Slurm job array (one run per task) and its comparison job into <ablation>/slurm/; run nothing")
                    ->excludes(shard);
  ablate_cmd->add_option("--partition", aopt.slurm_options.partition, "with --slurm: the partition (default: the cluster's)")->needs(slurm);
  ablate_cmd->add_option("--time", aopt.slurm_options.time, "with --slurm: each task's time limit, as Slurm writes it (90, 1:30:00, 2-00)")
      ->needs(slurm);
  ablate_cmd->add_option("--cpus-per-task", aopt.slurm_options.cpus_per_task, "with --slurm: CPUs (and training threads) per task")
      ->capture_default_str()
      ->needs(slurm);
  ablate_cmd->add_option("--array-max", aopt.slurm_options.array_max, "with --slurm: at most this many tasks at a time (default: no limit)")
      ->needs(slurm);

  std::string run_name;
  std::optional<std::int64_t> eval_batches;
  auto* eval_cmd = app.add_subcommand("eval", "validation loss of a run's newest checkpoint");
  eval_cmd->add_option("run", run_name, "run folder or name")->required();
  eval_cmd->add_option("--batches", eval_batches, "validation batches (default: the run's train.eval_batches)");

  report::CompareOptions copt;
  auto* compare_cmd = app.add_subcommand("compare", "emergence curves of runs or ablations side by side: plots and a report");
  std::vector<std::string> compare_inputs;
  compare_cmd->add_option("runs", compare_inputs, "run or ablation folders, or their names under the runs folder")->required();
  compare_cmd->add_option("--out", copt.out, "output folder (default: <ablation>/compare or runs/compare-<time>)");
  compare_cmd->add_option("--x", copt.x, "x axis")->check(CLI::IsMember({"step", "tokens"}))->capture_default_str();
  compare_cmd->add_option("--baseline", copt.baseline, "the variant differences refer to (default: the first)");
  auto* against = compare_cmd->add_option(
      "--against", copt.against, "a config key that differs between the runs (model.d_model): also plot final values against it");
  compare_cmd->add_option("--slopes", copt.slopes, "guide lines of these slopes on the --against plots (log-log), e.g. 0.5,-0.5")
      ->delimiter(',')
      ->needs(against);

  std::optional<std::int64_t> analyze_step;
  auto* analyze_cmd = app.add_subcommand("analyze", "sink, diagonal, oversmoothing and cost analysis of a saved checkpoint");
  analyze_cmd->add_option("run", run_name, "run folder or name")->required();
  analyze_cmd->add_option("--checkpoint", analyze_step, "the checkpoint's step (default: the newest)");

  train::SampleOptions sopt;
  auto* sample_cmd = app.add_subcommand("sample", "generate text from a run's newest checkpoint");
  sample_cmd->add_option("run", run_name, "run folder or name")->required();
  sample_cmd->add_option("--prompt", sopt.prompt, "text to continue");
  sample_cmd->add_option("--tokens", sopt.tokens, "tokens to generate")->capture_default_str()->check(CLI::PositiveNumber);
  sample_cmd->add_option("--temperature", sopt.temperature, "0 for greedy")->capture_default_str()->check(CLI::NonNegativeNumber);
  sample_cmd->add_option("--seed", sopt.seed, "sampling seed")->capture_default_str();

  auto* data_cmd = app.add_subcommand("data", "data sets")->require_subcommand(1);
  std::string dataset;
  std::vector<std::string> splits;
  auto* fetch_cmd = data_cmd->add_subcommand("fetch", "download a data set, or copy it from $SINKLAB_DATA_MIRROR");
  fetch_cmd->add_option("name", dataset, "data set name (see: sinklab data list)")->required();
  fetch_cmd->add_option("--split", splits, "only these splits (repeatable)");
  auto* list_cmd = data_cmd->add_subcommand("list", "the data sets sinklab can fetch");

  cli::InterveneOptions iopt;
  std::string intervene_run;
  auto* intervene_cmd = app.add_subcommand("intervene", "edit the saved model (mask or silence the first position, ablate a head, make it uniform) and measure the change");
  intervene_cmd->add_option("run", intervene_run, "run folder or name")->required();
  intervene_cmd->add_option("--checkpoint", iopt.checkpoint, "the checkpoint's step (default: the newest)");
  intervene_cmd->add_flag("--mask-first", iopt.mask_first, "hide the first position (BOS) from every later query, in every layer");
  intervene_cmd->add_flag("--zero-first-value", iopt.zero_first_value, "the first position's value is 0 in every head of every layer");
  intervene_cmd->add_option("--ablate-head", iopt.ablate_heads, "LAYER.HEAD: that head's output is 0 (repeatable; one intervention each)");
  intervene_cmd->add_option("--uniform-head", iopt.uniform_heads, "LAYER.HEAD: that head attends uniformly to the keys it sees (repeatable)");

  fs::path replay_out;
  std::optional<std::int64_t> replay_steps;
  auto* replay_cmd = app.add_subcommand("replay", "write what a run trains on (initial weights, batches, probe) for another implementation");
  replay_cmd->add_option("run", run_name, "run folder or name")->required();
  replay_cmd->add_option("--out", replay_out, "output folder (new or empty)")->required();
  replay_cmd->add_option("--steps", replay_steps, "steps of batches (default: train.steps)");

  auto* metrics_cmd = app.add_subcommand("metrics", "every field of an analysis record, as the Markdown table of docs/metrics.md");

  auto* config_cmd = app.add_subcommand("config", "config files")->require_subcommand(1);
  auto* keys_cmd = config_cmd->add_subcommand("keys", "every config key with its default and meaning (the table of configs/README.md)");

  hf::ImportOptions hopt;
  auto* import_cmd = app.add_subcommand("import", "a pretrained model as a run")->require_subcommand(1);
  auto* import_hf_cmd =
      import_cmd->add_subcommand("hf", "a Hugging Face checkpoint folder (GPT2LMHeadModel, LlamaForCausalLM) as a run at step 0");
  import_hf_cmd->add_option("dir", hopt.source, "the checkpoint folder: config.json, safetensors weights, tokenizer files")->required();
  import_hf_cmd->add_option("--name", hopt.name, "the run's name")->required();
  import_hf_cmd->add_option("--config", hopt.config_file, "data, training and analysis settings (its model section is not used)")
      ->check(CLI::ExistingFile);
  import_hf_cmd->add_option("--set", hopt.overrides, "override a key: --set data.context=256 (repeatable; not model.*)");

  hf::ExportOptions eopt;
  std::optional<std::int64_t> export_step;
  auto* export_cmd = app.add_subcommand("export", "a run in another framework's layout")->require_subcommand(1);
  auto* export_hf_cmd = export_cmd->add_subcommand("hf", "a run's checkpoint as a folder transformers loads (GPT-2 or Llama layout)");
  export_hf_cmd->add_option("run", run_name, "run folder or name")->required();
  export_hf_cmd->add_option("--checkpoint", export_step, "the checkpoint's step (default: the newest)");
  export_hf_cmd->add_option("--out", eopt.out, "the folder to write (new, or empty)")->required();

  std::string model_name, model_revision = "main";
  auto* model_cmd = app.add_subcommand("model", "pretrained models from the Hugging Face hub")->require_subcommand(1);
  auto* model_fetch_cmd = model_cmd->add_subcommand("fetch", "download a checkpoint folder (needs a network) into data/models/");
  model_fetch_cmd->add_option("name", model_name, "a short name (sinklab model list) or a hub repository owner/name")->required();
  model_fetch_cmd->add_option("--revision", model_revision, "branch, tag or commit")->capture_default_str();
  auto* model_list_cmd = model_cmd->add_subcommand("list", "the short names model fetch knows");

  CLI11_PARSE(app, argc, argv);

  // An MPI launcher told to stop (Ctrl-C) stops reading the processes' output while they finish
  // the step and checkpoint: a progress line must then neither block nor kill them. What the
  // launcher does not take is dropped from the console; log.txt has every line.
  if (processes->size() > 1 && *train_cmd) {
    std::signal(SIGPIPE, SIG_IGN);
    fcntl(STDOUT_FILENO, F_SETFL, fcntl(STDOUT_FILENO, F_GETFL) | O_NONBLOCK);
  }
  // A file size limit (ulimit -f) then fails the write that crosses it, which sinklab reports,
  // instead of killing the process with half a record written.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    if (processes->size() > 1 && !*train_cmd && !*ablate_cmd)
      fail("{} runs in one process; under an MPI launcher only train (one model over all the processes) and ablate "
           "(its runs spread over them) use several",
           app.get_subcommands().front()->get_name());
    if (*compare_cmd) {
      copt.runs_dir = runs_dir;
      for (const auto& input : compare_inputs) copt.inputs.push_back(resolve_run(input, runs_dir));
      const auto result = report::compare(copt);
      for (const auto& s : result.skipped) std::cout << "skipped " << s << "\n";
      std::cout << fmt::format("wrote {} plots, report.md and report.html to {}\n", result.files.size(), result.out.string());
      return 0;
    }
    if (*analyze_cmd) {
      if (analyze_step && *analyze_step < 1) fail("analyze: --checkpoint must be a step of the run (>= 1), got {}", *analyze_step);
      return cmd_analyze(resolve_run(run_name, runs_dir), analyze_step.value_or(0));
    }
    if (*train_cmd) {
      if (train_cmd->count("--name") > 0 && topt.name.empty()) fail("train: --name is empty");
      // 0 is the option's "not given": said explicitly it would silently train to the end.
      if (train_cmd->count("--stop-after") > 0 && topt.stop_after < 1) fail("train: --stop-after must be at least 1, got {}", topt.stop_after);
      topt.runs_dir = runs_dir;
      topt.processes = &*processes;
      cli::AnalysisObserver analysis;
      topt.observer = &analysis;
      const auto result = train::run_training(topt);
      return result.interrupted ? 130 : 0;
    }
    if (*ablate_cmd) {
      if (ablate_cmd->count("--stop-after") > 0 && aopt.stop_after < 1) fail("ablate: --stop-after must be at least 1, got {}", aopt.stop_after);
      aopt.runs_dir = runs_dir;
      aopt.processes = &*processes;
      return cli::run_ablation(aopt);
    }
    if (*eval_cmd) return cmd_eval(resolve_run(run_name, runs_dir), eval_batches);
    if (*sample_cmd) {
      if (!std::isfinite(sopt.temperature) || sopt.temperature < 0)
        fail("sample: --temperature must be a finite number >= 0 (0: greedy), got {}", sopt.temperature);
      if (sopt.tokens > train::max_sample_tokens)
        fail("sample: --tokens is {}; at most {} are generated at once", sopt.tokens, train::max_sample_tokens);
      const auto run = train::load_run(resolve_run(run_name, runs_dir));
      std::cout << train::sample(run, sopt) << "\n";
      return 0;
    }
    if (*fetch_cmd) {
      data::fetch_dataset(dataset, splits, std::cout);
      return 0;
    }
    if (*list_cmd) {
      for (const auto& d : data::manifest()) {
        std::cout << d.name << ": " << d.description << "\n";
        for (const auto& s : d.splits)
          std::cout << "  " << s.split << " -> " << (data::data_dir() / d.name / s.file).string()
                    << (fs::exists(data::data_dir() / d.name / s.file) ? " (present)" : "") << "\n";
      }
      return 0;
    }
    if (*import_hf_cmd) {
      hopt.runs_dir = runs_dir;
      hf::import_hf(hopt, std::cout);
      return 0;
    }
    if (*export_hf_cmd) {
      if (export_step && *export_step < 1) fail("export hf: --checkpoint must be a step of the run (>= 1), got {}", *export_step);
      eopt.run_dir = resolve_run(run_name, runs_dir);
      eopt.step = export_step.value_or(0);
      hf::export_hf(eopt, std::cout);
      return 0;
    }
    if (*model_fetch_cmd) {
      hf::fetch_model(model_name, model_revision, std::cout);
      return 0;
    }
    if (*model_list_cmd) {
      for (const auto& m : hf::known_models()) std::cout << fmt::format("{}: {} ({})\n", m.name, m.description, m.repo);
      return 0;
    }
    if (*intervene_cmd) {
      iopt.run_dir = resolve_run(intervene_run, runs_dir);
      cli::intervene(iopt);
      return 0;
    }
    if (*replay_cmd) {
      cli::replay(resolve_run(run_name, runs_dir), replay_out, replay_steps);
      return 0;
    }
    if (*metrics_cmd) {
      std::cout << analysis::fields_markdown();
      return 0;
    }
    if (*keys_cmd) {
      std::cout << train::keys_markdown();
      return 0;
    }
  } catch (const std::exception& e) {
    if (processes->size() > 1) {
      // The others may be waiting for this one in a collective call: end them all.
      std::cerr << fmt::format("error (process {} of {}): {}\n", processes->rank(), processes->size(), e.what()) << std::flush;
      processes->abort(1);
    }
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
