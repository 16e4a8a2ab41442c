#include "cli/ablate_command.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fcntl.h>
#include <iostream>
#include <map>
#include <thread>

#include "cli/ablation_shard.h"
#include "data/dataset.h"
#include "engine/error.h"
#include "engine/parallel.h"
#include "io/file_lock.h"
#include "report/compare.h"
#include "train/ablation.h"
#include "train/ablation_list.h"
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

pid_t spawn(const std::vector<std::string>& args, const fs::path& output) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  // A run started from a process of an MPI job is not one of the job's processes.
  std::vector<char*> env;
  for (char** e = environ; *e; ++e)
    if (!dist::launcher_variable(*e)) env.push_back(*e);
  env.push_back(nullptr);
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) fail("cannot start {}", args[0]);
  return pid;
}

void read_final(const fs::path& run_dir, train::RunOutcome& o) {
  const fs::path jsonl = run_dir / "metrics.jsonl";
  if (!fs::exists(jsonl)) return;
  for (const auto& m : train::read_metrics(jsonl)) {
    o.step = m.step;
    o.loss = m.loss;
    if (m.val_loss) o.val_loss = *m.val_loss;
  }
}

// The lock the shards of one ablation take turns under to prepare their data (below).
constexpr const char* prepare_lock = ".prepare.lock";

// `ablate --slurm`: marks the ablation's folder (its run list, every run pending or as it was) and
// writes the job array's scripts into it; runs nothing.
int write_slurm(const AblateOptions& opt, const train::Ablation& ab) {
  train::RunFolder folder(opt.runs_dir, ab.name, true, "ablation", train::ablation_list);
  const fs::path root = fs::absolute(folder.path()).lexically_normal();
  train::update_ablation_list(root, ab, std::vector<train::RunOutcome>(ab.runs.size()), std::vector<bool>(ab.runs.size(), false));
  SlurmJob job;
  job.ablation = ab.name;
  job.runs = static_cast<std::int64_t>(ab.runs.size());
  job.folder = root;
  job.sinklab = fs::read_symlink("/proc/self/exe");
  job.file = fs::absolute(opt.file).lexically_normal();
  job.runs_dir = fs::absolute(opt.runs_dir).lexically_normal();
  job.work_dir = fs::current_path();
  if (opt.max_runs > 0) job.ablate_args.insert(job.ablate_args.end(), {"--max-runs", std::to_string(opt.max_runs)});
  if (opt.stop_after > 0) job.ablate_args.insert(job.ablate_args.end(), {"--stop-after", std::to_string(opt.stop_after)});
  for (const char* name : {"SINKLAB_DATA_DIR", "SINKLAB_DATA_MIRROR"})
    if (const char* value = std::getenv(name); value && *value) job.environment[name] = value;
  write_slurm_job(job, opt.slurm_options, std::cout);
  folder.keep();
  return 0;
}

// The comparison report of a whole ablation (a failure to make it is reported, not fatal).
void compare_ablation(const fs::path& root, const fs::path& runs_dir) {
  try {
    report::CompareOptions copt;
    copt.inputs = {root};
    copt.runs_dir = runs_dir;
    const auto report = report::compare(copt);
    for (const auto& s : report.skipped) std::cout << "compare: skipped " << s << "\n";
    std::cout << fmt::format("comparison report: {}\n", (report.out / "report.html").string());
  } catch (const std::exception& e) {
    std::cout << "compare: no report: " << e.what() << "\n";
  }
}

// The runs of the ablation, or of one shard of it; returns the exit code.
int run_runs(const AblateOptions& opt, const dist::ProcessGroup* group) {
  if (opt.jobs < 1) fail("ablate: --jobs must be at least 1, got {}", opt.jobs);
  if (opt.max_runs < 0) fail("ablate: --max-runs must be at least 1, got {}", opt.max_runs);
  const bool sharded = opt.shard.has_value() || group;
  const Shard shard = group ? Shard{group->rank(), group->size()} : opt.shard ? parse_shard(*opt.shard) : Shard{};
  if (opt.slurm) check_slurm_options(opt.slurm_options);
  if (opt.slurm && opt.jobs != 1)
    fail("ablate: --jobs {} with --slurm: each task of the job array runs one run, on --cpus-per-task CPUs", opt.jobs);
  const train::Ablation ab = train::load_ablation(opt.file, opt.max_runs > 0 ? opt.max_runs : train::default_max_runs);
  if (opt.slurm) return write_slurm(opt, ab);

  std::vector<bool> mine(ab.runs.size());
  std::size_t mine_count = 0;
  for (std::size_t i = 0; i < ab.runs.size(); ++i) mine_count += (mine[i] = shard.has(i)) ? 1 : 0;
  const std::string title = sharded ? fmt::format("ablation {}, shard {}/{}", ab.name, shard.index, shard.count) : "ablation " + ab.name;
  if (mine_count == 0) {
    std::cout << fmt::format("{}: no runs, the shard is empty (the ablation has {} runs; shard K of N takes runs K, K+N, K+2N, ...)\n",
                             title, ab.runs.size());
    return 0;
  }
  // One plain ablate per ablation folder at a time, or any number of its shards side by side;
  // each run's own folder is locked by its `train`.
  train::RunFolder folder(opt.runs_dir, ab.name, true, "ablation", train::ablation_list,
                          sharded ? io::LockMode::shared : io::LockMode::exclusive);
  const fs::path root = folder.path();
  // The processes of an MPI job that share a machine share its cores.
  const int threads = std::max(1, (group ? group->share_of(num_threads()) : num_threads()) / opt.jobs);
  const std::string self = fs::read_symlink("/proc/self/exe").string();

  std::vector<train::RunOutcome> outcomes(ab.runs.size());
  std::vector<std::size_t> queue;
  for (std::size_t i = 0; i < ab.runs.size(); ++i) {
    if (!mine[i]) continue;
    const auto done = train::completed_steps(root / ab.runs[i].name);
    if (done >= ab.runs[i].steps) {
      outcomes[i].status = "skipped";
      read_final(root / ab.runs[i].name, outcomes[i]);
    } else {
      queue.push_back(i);
    }
  }
  // The run list first (it marks the folder as an ablation's), each outcome when its run ends.
  train::update_ablation_list(root, ab, outcomes, mine);
  fs::create_directories(root / "logs");
  {
    // Tokenizers and token files are built once here, not by every run at the same time (a
    // synthetic task's tables are cheap: drawing them here only checks data.bigram_from early).
    // Shards take turns: the first builds them, the others find them built.
    const io::FileLock turn(root / prepare_lock, "the data preparation of " + root.string(), io::LockMode::wait);
    for (std::size_t i = 0; i < ab.runs.size(); ++i) {
      if (!mine[i]) continue;
      const auto config = train::load_config(ab.base, ab.runs[i].sets);
      data::prepare_data(config.data, root / ab.runs[i].name, config.seed, std::cout);
    }
  }
  folder.keep();
  const std::string runs = sharded ? fmt::format("{} of its {} runs", mine_count, ab.runs.size()) : fmt::format("{} runs", ab.runs.size());
  std::cout << fmt::format("{}: {} ({} finished already, {} to run), {} at a time with {} thread{} each; "
                           "runs in {}, their output in {}\n",
                           title, runs, mine_count - queue.size(), queue.size(), opt.jobs, threads, threads == 1 ? "" : "s",
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
    train::RunOutcome& o = outcomes[i];
    o.minutes = std::chrono::duration<double>(Clock::now() - t0).count() / 60;
    read_final(root / ab.runs[i].name, o);
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    o.status = code == 0 ? (o.step >= ab.runs[i].steps ? "finished" : "stopped") : code == 130 ? "interrupted" : "failed";
    std::cout << fmt::format("{}: {} at step {} in {} (loss {:.4f}, val_loss {:.4f}){}\n", ab.runs[i].name, o.status, o.step,
                             train::format_duration(o.minutes * 60), o.loss, o.val_loss,
                             o.status == "failed" ? fmt::format(" — see {}", (root / "logs" / (ab.runs[i].name + ".txt")).string()) : "")
              << std::flush;
    train::update_ablation_list(root, ab, outcomes, mine);
  }

  // The summary on screen (ablation.json has it as each run ended).
  std::cout << fmt::format("\n{:<36} {:>5} {:>12} {:>7} {:>9} {:>9} {:>8}\n", "variant", "seed", "status", "step", "loss", "val_loss",
                           "minutes");
  bool failed = false, incomplete = false;
  for (std::size_t i = 0; i < ab.runs.size(); ++i) {
    if (!mine[i]) continue;
    const auto& r = ab.runs[i];
    const auto& o = outcomes[i];
    failed = failed || o.status == "failed";
    incomplete = incomplete || (o.status != "finished" && o.status != "skipped");
    std::cout << fmt::format("{:<36} {:>5} {:>12} {:>7} {:>9.4f} {:>9.4f} {:>8.1f}\n", r.variant, r.seed, o.status, o.step, o.loss,
                             o.val_loss, o.minutes);
  }
  if (sharded && !group) {
    std::cout << fmt::format("shard {}/{}: a shard makes no comparison; once every shard has ended: sinklab compare {}\n",
                             shard.index, shard.count, root.string());
  } else if (!sharded && !train::InterruptGuard::requested()) {
    compare_ablation(root, opt.runs_dir);
  }
  if (train::InterruptGuard::requested() || (incomplete && !failed && opt.stop_after == 0)) {
    std::cout << "interrupted: run the same command again to finish the remaining runs\n";
    return 130;
  }
  if (failed) return 1;
  return 0;
}

}  // namespace

int run_ablation(const AblateOptions& opt) {
  const dist::ProcessGroup* group = opt.processes && opt.processes->size() > 1 ? opt.processes : nullptr;
  if (!group) return run_runs(opt, nullptr);
  if (opt.shard) fail("ablate: --shard under an MPI launcher: the launcher's processes are the shards (process r runs r/N)");
  if (opt.slurm) fail("ablate: --slurm under an MPI launcher: --slurm only writes scripts; run it without mpirun");
  const int code = run_runs(opt, group);
  group->wait_for_all();
  const bool interrupted = group->any(code == 130 || train::InterruptGuard::requested());
  if (group->leader() && !interrupted) {
    const train::Ablation ab = train::load_ablation(opt.file, opt.max_runs > 0 ? opt.max_runs : train::default_max_runs);
    std::cout << fmt::format("every one of the {} processes has ended\n", group->size());
    compare_ablation(opt.runs_dir / ab.name, opt.runs_dir);
  }
  return code;
}

}  // namespace sinklab::cli
