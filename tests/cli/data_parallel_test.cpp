// `mpirun -np 2 sinklab train`: one model over two processes, against one process on the same
// global batch. Skipped in a build without MPI or where mpirun is missing.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <thread>

#include "support/cli_fixture.h"

namespace sinklab::testing {
namespace {

namespace fs = std::filesystem;

class DataParallel : public CliFixture {
 protected:
  void SetUp() override {
#ifndef SINKLAB_WITH_MPI
    GTEST_SKIP() << "built without MPI (SINKLAB_MPI=OFF)";
#endif
    if (std::system("command -v mpirun > /dev/null") != 0) GTEST_SKIP() << "no mpirun on the PATH";
    CliFixture::SetUp();
    // Containers run tests as root; one core per process need not exist (oversubscribe).
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
#ifdef __SANITIZE_ADDRESS__
    // Open MPI leaves its own allocations at MPI_Finalize, many in components it has unloaded by
    // then (no module name a suppression could match): leak checks are off for these tests only.
    const char* asan = std::getenv("ASAN_OPTIONS");
    setenv("ASAN_OPTIONS", (std::string(asan ? asan : "") + ":detect_leaks=0").c_str(), 1);
#endif
  }

  // The launcher's command line for `processes` processes, up to the sinklab arguments.
  static std::string mpirun(int processes) {
    return fmt::format("mpirun --oversubscribe --bind-to none -np {} {}", processes, SINKLAB_BINARY);
  }

  CliResult run_mpi(int processes, const std::string& args) {
    const fs::path out = dir / "mpirun.txt";
    const int status = std::system(fmt::format("{} {} > {} 2>&1", mpirun(processes), args, out.string()).c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out)};
  }

  std::string config() const { return (dir / "tiny.yaml").string(); }

  // The launcher in the background, its output in `log`.
  pid_t spawn_mpi(int processes, const std::string& args, const fs::path& log) {
    const std::string command = fmt::format("exec {} {} > {} 2>&1", mpirun(processes), args, log.string());
    const pid_t pid = fork();
    if (pid == 0) {
      setpgid(0, 0);
      execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    return pid;
  }

  // Waits until metrics.jsonl of `run` has a record, at most 60 s.
  bool started(const std::string& run) const {
    const fs::path jsonl = dir / "runs" / run / "metrics.jsonl";
    for (int i = 0; i < 1200; ++i) {
      if (fs::exists(jsonl) && fs::file_size(jsonl) > 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // The exit status of `pid` if it ends within `seconds`.
  static std::optional<int> wait_for(pid_t pid, int seconds) {
    for (int i = 0; i < seconds * 20; ++i) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) return status;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return std::nullopt;
  }

  // The sinklab processes of this test (its runs folder in their environment) of a given rank.
  std::vector<pid_t> ranks(int rank) const {
    std::vector<pid_t> out;
    const std::string runs = "SINKLAB_RUNS_DIR=" + (dir / "runs").string(), wanted = fmt::format("OMPI_COMM_WORLD_RANK={}", rank);
    for (const auto& e : fs::directory_iterator("/proc")) {
      const std::string name = e.path().filename();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::ifstream in(e.path() / "environ", std::ios::binary);
      std::string env, var;
      bool has_runs = false, has_rank = false;
      while (std::getline(in, var, '\0')) has_runs |= var == runs, has_rank |= var == wanted;
      if (has_runs && has_rank) out.push_back(static_cast<pid_t>(std::stol(name)));
    }
    return out;
  }
};

void expect_close(double a, double b, const std::string& what, double relative = 1e-6) {
  EXPECT_LE(std::abs(a - b), relative * std::abs(a)) << what << ": " << a << " vs " << b;
}

void expect_close(const std::optional<double>& a, const std::optional<double>& b, const std::string& what) {
  ASSERT_EQ(a.has_value(), b.has_value()) << what;
  if (a) expect_close(*a, *b, what);
}

// The acceptance test of data-parallel training: the same global batch on one process and on two
// gives the same losses and gradient norms, to 1e-6 relative (1e-5 for the gradient norms with
// micro-batches; the gradient sums are rounded in another order, so not bit for bit), and only the leader writes the run. Text whose rows hold
// different numbers of counted targets (BOS targets do not count), a batch that does not divide
// (3: the processes take 1 and 2 sequences), micro-batches, and a synthetic task's class losses.
TEST_F(DataParallel, TwoProcessesTrainTheModelOfOne) {
  const std::string synthetic = std::string(SINKLAB_SOURCE_DIR) + "/configs/synthetic/bigram-backcopy.yaml";
  const std::vector<std::pair<std::string, std::string>> cases{
      {"text-4", config() + " --set train.batch_size=4"},
      // 128 positions pack several documents into a row, each after a BOS: rows count different
      // numbers of targets, so weighting processes by rows instead of targets would show.
      {"text-3", config() + " --set train.batch_size=3 --set data.context=128"},
      {"accum", config() + " --set train.batch_size=3 --set train.grad_accum=2 --set data.context=128"},
      {"task", synthetic + " --set train.batch_size=6 --set train.grad_accum=2 --set train.threads=1 --set train.eval_every=10"}};
  for (const auto& [label, args] : cases) {
    const std::string sets = " --set train.steps=20";
    const auto one = run("train " + args + sets + " --name one-" + label);
    ASSERT_EQ(one.code, 0) << one.output;
    const auto two = run_mpi(2, "train " + args + sets + " --name two-" + label);
    ASSERT_EQ(two.code, 0) << two.output;
    EXPECT_NE(two.output.find("2 processes x 1 thread"), std::string::npos) << two.output;
    if (label == "text-3") {
      EXPECT_NE(two.output.find("does not divide over 2 processes: each takes 1 or 2 sequences"), std::string::npos) << two.output;
    }
    const auto a = metrics("one-" + label), b = metrics("two-" + label);
    ASSERT_EQ(a.size(), 20u);
    ASSERT_EQ(b.size(), 20u) << "one record per step: only the leader writes";
    for (std::size_t i = 0; i < a.size(); ++i) {
      const std::string at = fmt::format("{}, step {}", label, a[i].step);
      EXPECT_EQ(a[i].step, b[i].step);
      EXPECT_EQ(a[i].tokens, b[i].tokens) << at;
      expect_close(a[i].loss, b[i].loss, "loss, " + at);
      // Measured worst case 2.2e-6 (micro-batches, step 11 of 20: the two ways add the four
      // partial gradients in another order); losses stay within 1e-7.
      expect_close(a[i].grad_norm, b[i].grad_norm, "gradient norm, " + at, label == "accum" ? 1e-5 : 1e-6);
      expect_close(a[i].val_loss, b[i].val_loss, "validation loss, " + at);
      expect_close(a[i].loss_needs_attn, b[i].loss_needs_attn, "loss of targets that need attention, " + at);
      expect_close(a[i].loss_no_attn, b[i].loss_no_attn, "loss of targets that need none, " + at);
      expect_close(a[i].val_loss_needs_attn, b[i].val_loss_needs_attn, "validation loss, needs attention, " + at);
    }
    if (label == "task") {
      EXPECT_TRUE(a.back().loss_needs_attn.has_value()) << "the task has query classes";
    }
    const std::string log = read_file(dir / "runs" / ("two-" + label) / "log.txt");
    EXPECT_EQ(log.find("training "), log.rfind("training ")) << "one process prints:\n" << log;
  }
}

// Resuming with the same number of processes continues bit for bit; with another number it
// continues from the same weights, optimizer state and batches, and says so.
TEST_F(DataParallel, ResumesExactlyWithTwoProcessesAndSaysSoWithAnotherCount) {
  const std::string sets = " --set train.steps=12";
  ASSERT_EQ(run_mpi(2, "train " + config() + sets + " --name straight").code, 0);
  const auto first = run_mpi(2, "train " + config() + sets + " --name split --stop-after 4");
  ASSERT_EQ(first.code, 0) << first.output;
  const auto second = run_mpi(2, "train " + config() + sets + " --name split --resume");
  ASSERT_EQ(second.code, 0) << second.output;
  EXPECT_NE(second.output.find("from step 4"), std::string::npos) << second.output;
  EXPECT_EQ(second.output.find("written by"), std::string::npos) << second.output;
  const auto a = metrics("straight"), b = metrics("split");
  ASSERT_EQ(a.size(), 12u);
  ASSERT_EQ(b.size(), 12u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].loss, b[i].loss) << "step " << a[i].step;  // exact
    EXPECT_EQ(a[i].grad_norm, b[i].grad_norm) << "step " << a[i].step;
    EXPECT_EQ(a[i].val_loss, b[i].val_loss) << "step " << a[i].step;
  }
  const fs::path last = fs::path("checkpoints") / "step_0000012" / "model.safetensors";
  EXPECT_EQ(read_file(dir / "runs" / "straight" / last), read_file(dir / "runs" / "split" / last));

  // Stopped on two processes, continued on one.
  ASSERT_EQ(run_mpi(2, "train " + config() + sets + " --name moved --stop-after 4").code, 0);
  const auto alone = run("train " + config() + sets + " --name moved --resume");
  ASSERT_EQ(alone.code, 0) << alone.output;
  EXPECT_NE(alone.output.find("the checkpoint was written by 2 processes, this run has 1"), std::string::npos) << alone.output;
  const auto c = metrics("moved");
  ASSERT_EQ(c.size(), 12u);
  for (std::size_t i = 0; i < a.size(); ++i) expect_close(a[i].loss, c[i].loss, fmt::format("loss, step {}", a[i].step));
}

// Ctrl-C on the launcher (which passes SIGTERM on to every process) stops both processes at the
// same step, after one checkpoint by the leader, and the run resumes from it.
TEST_F(DataParallel, CtrlCOnTheLauncherCheckpointsOnceAndStopsEveryProcess) {
  const fs::path log = dir / "ctrlc.txt";
  const std::string sets = " --set train.steps=1000000 --set train.checkpoint_every=0";
  const pid_t launcher = spawn_mpi(2, "train " + config() + " --name ctrlc" + sets, log);
  ASSERT_TRUE(started("ctrlc")) << read_file(log);
  kill(launcher, SIGINT);
  const auto status = wait_for(launcher, 60);
  if (!status) kill(-launcher, SIGKILL);
  ASSERT_TRUE(status) << read_file(log);
  const std::string out = read_file(log);
  const auto ms = metrics("ctrlc");
  ASSERT_FALSE(ms.empty()) << out;
  const std::int64_t last = ms.back().step;
  // The launcher stops passing output on when told to stop; the run's log keeps every line.
  const std::string run_log = read_file(dir / "runs" / "ctrlc" / "log.txt");
  EXPECT_NE(run_log.find(fmt::format("interrupted: checkpoint written at step {};", last)), std::string::npos) << run_log;
  EXPECT_EQ(read_file(dir / "runs" / "ctrlc" / "checkpoints" / "latest"), fmt::format("step_{:07d}\n", last));
  EXPECT_TRUE(ranks(0).empty() && ranks(1).empty()) << "a process outlived the job";
  const auto resumed = run_mpi(2, "train " + config() + " --name ctrlc --resume" + sets + " --stop-after " + std::to_string(last + 2));
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_EQ(metrics("ctrlc").size(), static_cast<std::size_t>(last + 2));
}

// A process that dies ends the others: the launcher reports it and exits, nothing hangs.
TEST_F(DataParallel, KillingOneProcessEndsBoth) {
  const fs::path log = dir / "killed.txt";
  const pid_t launcher = spawn_mpi(2, "train " + config() + " --name killed --set train.steps=1000000 --set train.checkpoint_every=0", log);
  ASSERT_TRUE(started("killed")) << read_file(log);
  const auto second = ranks(1);
  ASSERT_EQ(second.size(), 1u) << read_file(log);
  kill(second[0], SIGKILL);
  const auto status = wait_for(launcher, 60);
  if (!status) kill(-launcher, SIGKILL);
  ASSERT_TRUE(status) << "the launcher still runs 60 s after a process died\n" << read_file(log);
  EXPECT_FALSE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << read_file(log);
  EXPECT_NE(read_file(log).find("process rank 1"), std::string::npos) << "the launcher names the process that died\n"
                                                                     << read_file(log);
  EXPECT_TRUE(ranks(0).empty()) << "process 0 outlived the job";
}

// `mpirun -np 2 sinklab ablate FILE`: the runs spread over the processes (process r takes the runs
// i with i % 2 == r), each trained as a plain ablate trains it, and process 0 compares at the end.
TEST_F(DataParallel, AblateSpreadsTheRunsOverTheProcesses) {
  write_file(dir / "grid.yaml", "base: tiny.yaml\noverrides:\n  train.steps: 4\ngrid:\n  optim.lr: [0.01, 0.02, 0.03]\n");
  write_file(dir / "plain.yaml", "base: tiny.yaml\noverrides:\n  train.steps: 4\ngrid:\n  optim.lr: [0.01, 0.02, 0.03]\n");
  const auto spread = run_mpi(2, "ablate " + (dir / "grid.yaml").string());
  ASSERT_EQ(spread.code, 0) << spread.output;
  EXPECT_NE(spread.output.find("shard 0/2"), std::string::npos) << spread.output;
  EXPECT_NE(spread.output.find("shard 1/2"), std::string::npos) << spread.output;
  EXPECT_NE(spread.output.find("every one of the 2 processes has ended"), std::string::npos) << spread.output;
  EXPECT_TRUE(fs::exists(dir / "runs" / "grid" / "compare" / "report.html")) << spread.output;
  ASSERT_EQ(run("ablate " + (dir / "plain.yaml").string()).code, 0);
  for (const std::string run : {"lr-0.01-s0", "lr-0.02-s0", "lr-0.03-s0"}) {
    const auto a = metrics("plain/" + run), b = metrics("grid/" + run);
    ASSERT_EQ(b.size(), 4u) << run;
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].loss, b[i].loss) << run << " step " << a[i].step;
    // The runs are not processes of the MPI job: one process each, one start line.
    const std::string log = read_file(dir / "runs" / "grid" / run / "log.txt");
    EXPECT_EQ(log.find("processes"), std::string::npos) << log;
  }
  const auto both = run_mpi(2, "ablate " + (dir / "grid.yaml").string() + " --shard 0/2");
  EXPECT_NE(both.code, 0);
  EXPECT_NE(both.output.find("--shard under an MPI launcher"), std::string::npos) << both.output;
}

// An error on the processes (here a bad key, seen by both) ends the job with the message; a
// command that runs in one process refuses to run on several.
TEST_F(DataParallel, ErrorsEndEveryProcessAndNameTheCause) {
  const auto bad = run_mpi(2, "train " + config() + " --set train.bogus=1 --name bad");
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.output.find("train.bogus"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("(process "), std::string::npos) << bad.output;
  ASSERT_EQ(run("train " + config() + " --set train.steps=2 --name small").code, 0);
  const auto eval = run_mpi(2, "eval small");
  EXPECT_NE(eval.code, 0);
  EXPECT_NE(eval.output.find("eval runs in one process"), std::string::npos) << eval.output;
  const auto too_many = run_mpi(2, "train " + config() + " --set train.batch_size=1 --name thin");
  EXPECT_NE(too_many.code, 0);
  EXPECT_NE(too_many.output.find("train.batch_size is 1, fewer sequences than the 2 processes"), std::string::npos) << too_many.output;
  EXPECT_FALSE(fs::exists(dir / "runs" / "thin")) << "a run that failed before writing leaves no folder";
}

}  // namespace
}  // namespace sinklab::testing
