#include "cli/ablate_command.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fcntl.h>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "data/dataset.h"
#include "engine/error.h"
#include "engine/parallel.h"
#include "io/atomic_file.h"
#include "report/compare.h"
#include "train/ablation.h"
#include "train/config.h"
#include "train/interrupt.h"
#include "train/metrics.h"
#include "train/progress.h"
#include "train/run_folder.h"

extern char** environ;

namespace sinklab::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Outcome {
  std::string status = "pending";  // pending | skipped | finished | interrupted | failed
  double minutes = 0;
  std::int64_t step = 0;
  double loss = 0, val_loss = 0;
};

pid_t spawn(const std::vector<std::string>& args, const fs::path& output) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) fail("cannot start {}", args[0]);
  return pid;
}

void read_final(const fs::path& run_dir, Outcome& o) {
  const fs::path jsonl = run_dir / "metrics.jsonl";
  if (!fs::exists(jsonl)) return;
  for (const auto& m : train::read_metrics(jsonl)) {
    o.step = m.step;
    o.loss = m.loss;
    if (m.val_loss) o.val_loss = *m.val_loss;
  }
}

nlohmann::ordered_json run_list(const train::Ablation& ab, const std::vector<Outcome>& outcomes) {
  nlohmann::ordered_json list = nlohmann::json::array();
  for (std::size_t i = 0; i < ab.runs.size(); ++i) {
    const auto& r = ab.runs[i];
    const auto& o = outcomes[i];
    list.push_back({{"run", r.name}, {"variant", r.variant}, {"seed", r.seed}, {"status", o.status}, {"step", o.step},
                    {"steps", r.steps}, {"loss", o.loss}, {"val_loss", o.val_loss}, {"overrides", r.sets}});
  }
  return list;
}

}  // namespace

int run_ablation(const AblateOptions& opt) {
  if (opt.jobs < 1) fail("ablate: --jobs must be at least 1, got {}", opt.jobs);
  if (opt.max_runs < 0) fail("ablate: --max-runs must be at least 1, got {}", opt.max_runs);
  const train::Ablation ab = train::load_ablation(opt.file, opt.max_runs > 0 ? opt.max_runs : train::default_max_runs);
  // One ablate per ablation folder at a time; each run's own folder is locked by its `train`.
  train::RunFolder folder(opt.runs_dir, ab.name, true, "ablation", train::ablation_list);
  const fs::path root = folder.path();
  fs::create_directories(root / "logs");
  const int threads = std::max(1, num_threads() / opt.jobs);
  const std::string self = fs::read_symlink("/proc/self/exe").string();

  // Tokenizers and token files are built once here, not by every run at the same time (a
  // synthetic task's tables are cheap: drawing them here only checks data.bigram_from early).
  for (const auto& run : ab.runs) {
    const auto config = train::load_config(ab.base, run.sets);
    data::prepare_data(config.data, config.seed, std::cout);
  }

  std::vector<Outcome> outcomes(ab.runs.size());
  std::vector<std::size_t> queue;
  for (std::size_t i = 0; i < ab.runs.size(); ++i) {
    const auto done = train::completed_steps(root / ab.runs[i].name);
    if (done >= ab.runs[i].steps) {
      outcomes[i].status = "skipped";
      read_final(root / ab.runs[i].name, outcomes[i]);
    } else {
      queue.push_back(i);
    }
  }
  // The run list first (it marks the folder as an ablation's), the outcomes when the runs end.
  io::write_file_atomic(root / train::ablation_list, run_list(ab, outcomes).dump(2) + "\n");
  folder.keep();
  std::cout << fmt::format("ablation {}: {} runs ({} finished already, {} to run), {} at a time with {} thread{} each; "
                           "runs in {}, their output in {}\n",
                           ab.name, ab.runs.size(), ab.runs.size() - queue.size(), queue.size(), opt.jobs, threads,
                           threads == 1 ? "" : "s",
                           root.string(), (root / "logs").string())
            << std::flush;

  train::InterruptGuard interrupt;
  std::map<pid_t, std::pair<std::size_t, Clock::time_point>> running;
  std::size_t next = 0, started = 0;
  bool forwarded = false;
  while (next < queue.size() || !running.empty()) {
    if (train::InterruptGuard::requested() && !forwarded) {
      // A terminal's Ctrl-C reaches the runs directly; a signal sent to ablate alone is passed on,
      // so every run checkpoints and stops.
      for (const auto& [pid, run] : running) kill(pid, SIGINT);
      forwarded = true;
    }
    while (!train::InterruptGuard::requested() && next < queue.size() && running.size() < static_cast<std::size_t>(opt.jobs)) {
      const std::size_t i = queue[next++];
      const auto& run = ab.runs[i];
      std::vector<std::string> args{self, "train", ab.base.string(), "--name", run.name, "--runs-dir", root.string(), "--resume"};
      for (const auto& s : run.sets) args.insert(args.end(), {"--set", s});
      // A resumed run keeps the thread count it started with: results are bit-identical only then.
      const fs::path saved = root / run.name / train::run_marker;
      const auto run_threads = fs::exists(saved) ? train::load_config(saved).train.threads : threads;
      args.insert(args.end(), {"--set", fmt::format("train.threads={}", run_threads)});
      if (opt.stop_after > 0) args.insert(args.end(), {"--stop-after", std::to_string(opt.stop_after)});
      const pid_t pid = spawn(args, root / "logs" / (run.name + ".txt"));
      running[pid] = {i, Clock::now()};
      std::cout << fmt::format("[{}/{}] {}: started{}\n", ++started, queue.size(), run.name,
                               train::completed_steps(root / run.name) > 0 ? " (resuming)" : "")
                << std::flush;
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    auto it = running.find(pid);
    if (it == running.end()) continue;
    const auto [i, t0] = it->second;
    running.erase(it);
    Outcome& o = outcomes[i];
    o.minutes = std::chrono::duration<double>(Clock::now() - t0).count() / 60;
    read_final(root / ab.runs[i].name, o);
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    o.status = code == 0 ? (o.step >= ab.runs[i].steps ? "finished" : "stopped") : code == 130 ? "interrupted" : "failed";
    std::cout << fmt::format("{}: {} at step {} in {} (loss {:.4f}, val_loss {:.4f}){}\n", ab.runs[i].name, o.status, o.step,
                             train::format_duration(o.minutes * 60), o.loss, o.val_loss,
                             o.status == "failed" ? fmt::format(" — see {}", (root / "logs" / (ab.runs[i].name + ".txt")).string()) : "")
              << std::flush;
  }

  // The summary, on screen and as JSON beside the runs.
  std::cout << fmt::format("\n{:<36} {:>5} {:>12} {:>7} {:>9} {:>9} {:>8}\n", "variant", "seed", "status", "step", "loss", "val_loss",
                           "minutes");
  bool failed = false, incomplete = false;
  for (std::size_t i = 0; i < ab.runs.size(); ++i) {
    const auto& r = ab.runs[i];
    const auto& o = outcomes[i];
    failed = failed || o.status == "failed";
    incomplete = incomplete || (o.status != "finished" && o.status != "skipped");
    std::cout << fmt::format("{:<36} {:>5} {:>12} {:>7} {:>9.4f} {:>9.4f} {:>8.1f}\n", r.variant, r.seed, o.status, o.step, o.loss,
                             o.val_loss, o.minutes);
  }
  io::write_file_atomic(root / train::ablation_list, run_list(ab, outcomes).dump(2) + "\n");
  if (!train::InterruptGuard::requested()) {
    try {
      report::CompareOptions copt;
      copt.inputs = {root};
      copt.runs_dir = opt.runs_dir;
      const auto report = report::compare(copt);
      for (const auto& s : report.skipped) std::cout << "compare: skipped " << s << "\n";
      std::cout << fmt::format("comparison report: {}\n", (report.out / "report.html").string());
    } catch (const std::exception& e) {
      std::cout << "compare: no report: " << e.what() << "\n";
    }
  }
  if (train::InterruptGuard::requested() || (incomplete && !failed && opt.stop_after == 0)) {
    std::cout << "interrupted: run the same command again to finish the remaining runs\n";
    return 130;
  }
  if (failed) return 1;
  return 0;
}

}  // namespace sinklab::cli
