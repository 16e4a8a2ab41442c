// `sinklab ablate --shard K/N` and `--slurm`, through the binary: the shards of an ablation, run
// one after another, side by side, or as the tasks of the job array --slurm writes (run here by
// bash, one task at a time), make exactly the runs of a plain ablate.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "io/file_lock.h"
#include "support/cli_fixture.h"

namespace sinklab::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Sets an environment variable for the children a test starts, and puts back what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* before = std::getenv(name)) before_ = before;
    setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (before_) setenv(name_, before_->c_str(), 1);
    else unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> before_;
};

// The runs of the ablations below, in the order of the file.
const std::vector<std::string> grid_runs{"lr-0.01-s0", "lr-0.02-s0", "lr-0.03-s0"};

// One word for the shell that runs the binary.
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A metrics file without its wall-clock columns (step_ms, tokens_per_s): the rest is what the
// training computed.
std::vector<json> metrics_without_timing(const fs::path& jsonl) {
  std::vector<json> out;
  std::ifstream in(jsonl);
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line);
    j.erase("step_ms");
    j.erase("tokens_per_s");
    out.push_back(j);
  }
  return out;
}

std::vector<std::vector<std::string>> csv_without_timing(const fs::path& csv) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream in(csv);
  std::vector<bool> keep;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells, kept;
    for (std::size_t at = 0;;) {
      const auto comma = line.find(',', at);
      cells.push_back(line.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
    if (keep.empty())
      for (const auto& c : cells) keep.push_back(c != "step_ms" && c != "tokens_per_s");
    for (std::size_t i = 0; i < cells.size() && i < keep.size(); ++i)
      if (keep[i]) kept.push_back(cells[i]);
    rows.push_back(kept);
  }
  return rows;
}

class AblateShard : public CliFixture {
 protected:
  // An ablation of 3 short runs of tiny.yaml under the given name.
  fs::path ablation_file(const std::string& name) {
    const fs::path file = dir / (name + ".yaml");
    write_file(file, "name: " + name + "\nbase: tiny.yaml\noverrides:\n  train.steps: 4\ngrid:\n  optim.lr: [0.01, 0.02, 0.03]\n");
    return file;
  }

  // Both ablation folders hold the same runs, file for file: byte for byte, except the records of
  // wall-clock time (log.txt; the timing columns of the metrics) and the lock's PID.
  static void expect_same_runs(const fs::path& a, const fs::path& b) {
    for (const auto& run : grid_runs) {
      const auto files_a = snapshot(a / run), files_b = snapshot(b / run);
      ASSERT_FALSE(files_a.empty()) << a / run;
      std::vector<std::string> names_a, names_b;
      for (const auto& [name, bytes] : files_a) names_a.push_back(name);
      for (const auto& [name, bytes] : files_b) names_b.push_back(name);
      ASSERT_EQ(names_a, names_b) << run;
      for (const auto& [name, bytes] : files_a) {
        if (name == "log.txt") continue;
        if (name == "metrics.jsonl") {
          EXPECT_EQ(metrics_without_timing(a / run / name), metrics_without_timing(b / run / name)) << run;
        } else if (name == "metrics.csv") {
          EXPECT_EQ(csv_without_timing(a / run / name), csv_without_timing(b / run / name)) << run;
        } else {
          EXPECT_TRUE(bytes == files_b.at(name)) << run << "/" << name << " differs";
        }
      }
    }
    // Every run's outcome is in both lists, the same but for the minutes it took.
    auto list_a = json::parse(read_file(a / "ablation.json")), list_b = json::parse(read_file(b / "ablation.json"));
    for (auto* list : {&list_a, &list_b})
      for (auto& e : *list) e.erase("minutes");
    EXPECT_EQ(list_a, list_b);
    ASSERT_EQ(list_b.size(), grid_runs.size());
    for (const auto& e : list_b) EXPECT_EQ(e.at("status"), "finished") << e.dump();
  }

  // The runs an ablate output says it started.
  static std::vector<std::string> started(const std::string& output) {
    std::vector<std::string> names;
    for (const auto& run : grid_runs)
      if (output.find(run + ": started") != std::string::npos) names.push_back(run);
    return names;
  }

  fs::path plain_ablation() {
    const auto r = run("ablate " + ablation_file("plain").string());
    EXPECT_EQ(r.code, 0) << r.output;
    return dir / "runs" / "plain";
  }
};

TEST_F(AblateShard, ShardsOneAfterAnotherMakeThePlainAblation) {
  const fs::path plain = plain_ablation();
  const std::string cmd = "ablate " + ablation_file("sharded").string();
  const auto first = run(cmd + " --shard 0/2");
  ASSERT_EQ(first.code, 0) << first.output;
  EXPECT_NE(first.output.find("ablation sharded, shard 0/2: 2 of its 3 runs (0 finished already, 2 to run)"), std::string::npos)
      << first.output;
  // Round robin over the file's order: runs 0 and 2 here, run 1 in the other shard.
  EXPECT_EQ(started(first.output), (std::vector<std::string>{"lr-0.01-s0", "lr-0.03-s0"}));
  // A shard leaves the comparison to the job that runs once every shard has ended.
  EXPECT_NE(first.output.find("a shard makes no comparison"), std::string::npos) << first.output;
  EXPECT_FALSE(fs::exists(dir / "runs" / "sharded" / "compare"));
  const auto list = json::parse(read_file(dir / "runs" / "sharded" / "ablation.json"));
  EXPECT_EQ(list.at(1).at("status"), "pending");

  const auto second = run(cmd + " --shard 1/2");
  ASSERT_EQ(second.code, 0) << second.output;
  EXPECT_EQ(started(second.output), (std::vector<std::string>{"lr-0.02-s0"}));
  expect_same_runs(plain, dir / "runs" / "sharded");
  EXPECT_FALSE(fs::exists(dir / "runs" / "sharded" / "compare"));

  // Finished runs are skipped, as without shards; more shards than runs leave some empty.
  const auto again = run(cmd + " --shard 0/2");
  EXPECT_EQ(again.code, 0) << again.output;
  EXPECT_NE(again.output.find("2 of its 3 runs (2 finished already, 0 to run)"), std::string::npos) << again.output;
  const auto empty = run(cmd + " --shard 4/5");
  EXPECT_EQ(empty.code, 0) << empty.output;
  EXPECT_NE(empty.output.find("ablation sharded, shard 4/5: no runs, the shard is empty (the ablation has 3 runs"),
            std::string::npos)
      << empty.output;
}

TEST_F(AblateShard, ShardsSideBySideLoseNoOutcome) {
  const fs::path plain = plain_ablation();
  // Both start at once on a folder neither has made yet.
  const std::string file = ablation_file("together").string();
  int codes[2] = {-1, -1};
  std::vector<std::thread> shards;
  for (int k = 0; k < 2; ++k)
    shards.emplace_back([&, k] {
      const int status = std::system(
          fmt::format("{} ablate {} --shard {}/2 > {} 2>&1", SINKLAB_BINARY, file, k, (dir / fmt::format("shard{}.txt", k)).string()).c_str());
      codes[k] = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    });
  for (auto& t : shards) t.join();
  EXPECT_EQ(codes[0], 0) << read_file(dir / "shard0.txt");
  EXPECT_EQ(codes[1], 0) << read_file(dir / "shard1.txt");
  expect_same_runs(plain, dir / "runs" / "together");

  // Shards share the folder with shards only: a plain ablate of it waits for none of them.
  {
    io::FileLock shard(dir / "runs" / "together" / ".lock", "a test's shard", io::LockMode::shared);
    const auto r = run("ablate " + file);
    EXPECT_EQ(r.code, 1) << r.output;
    EXPECT_NE(r.output.find(fmt::format("is in use by another sinklab process (PID {}", getpid())), std::string::npos) << r.output;
  }
  {
    io::FileLock plain_ablate(dir / "runs" / "together" / ".lock", "a test's ablate");
    const auto r = run("ablate " + file + " --shard 0/2");
    EXPECT_EQ(r.code, 1) << r.output;
    EXPECT_NE(r.output.find(fmt::format("is in use by another sinklab process (PID {}", getpid())), std::string::npos) << r.output;
  }
}

TEST_F(AblateShard, BadValuesAreErrorsNamingTheFlag) {
  const std::string cmd = "ablate " + ablation_file("bad").string();
  auto expect_error = [&](const std::string& args, const std::string& expected) {
    const auto r = run(cmd + " " + args);
    EXPECT_NE(r.code, 0) << args;
    EXPECT_NE(r.output.find(expected), std::string::npos) << args << "\n  expected: " << expected << "\n  got: " << r.output;
  };
  expect_error("--shard ''", "--shard '' is not K/N");
  for (const char* bad : {"a/b", "-1/2", "1", "1/2/3", "/2", "0/", "1e3/2000", " 0/2"})
    expect_error(fmt::format("--shard='{}'", bad), fmt::format("--shard '{}' is not K/N", bad));
  expect_error("--shard 3/2", "--shard '3/2': K must be below N (shards count from 0 to N-1");
  expect_error("--shard 2/2", "--shard '2/2': K must be below N");
  expect_error("--shard 0/0", "--shard '0/0': N, the number of shards, must be at least 1");

  expect_error("--slurm --shard 0/2", "--shard excludes --slurm");
  expect_error("--partition debug", "--partition requires --slurm");
  expect_error("--time 10", "--time requires --slurm");
  for (const char* bad : {"abc", "1:2:3:4", "1:60", "1-24", "1-2-3", "-5", "10:", "1.5", "2-", "5 min"})
    expect_error(fmt::format("--slurm --time='{}'", bad), fmt::format("--time '{}' is not a Slurm time limit", bad));
  expect_error("--slurm --time 0", "--time '0' is no time at all");
  expect_error("--slurm --time 0-00:00:00", "--time '0-00:00:00' is no time at all");
  for (const char* bad : {"a b", "x'y", "a\"b", "", ",a", "a,,b", "a;b", "$(id)"})
    expect_error(fmt::format("--slurm --partition {}", quoted(bad)), fmt::format("--partition '{}' is not a partition name", bad));
  expect_error("--slurm --cpus-per-task 0", "--cpus-per-task must be at least 1, got 0");
  expect_error("--slurm --array-max=-3", "--array-max must be at least 1, got -3");
  expect_error("--slurm --jobs 2", "--jobs 2 with --slurm: each task of the job array runs one run");
  EXPECT_FALSE(fs::exists(dir / "runs" / "bad"));

  // What Slurm accepts passes.
  for (const char* good : {"90", "30:00", "1:30:00", "2-0", "2-12:30", "1-00:00:30"}) {
    const auto r = run(fmt::format("{} --slurm --time {} --partition cpu,gpu-1", cmd, good));
    EXPECT_EQ(r.code, 0) << good << "\n" << r.output;
  }
}

TEST_F(AblateShard, SlurmArrayRunLocallyTaskByTaskMakesThePlainAblation) {
  // The tasks below get 1 CPU each, so the plain ablation must resolve train.threads from 1 CPU
  // too, wherever the test runs (ctest sets this; a direct run of the test binary may not).
  const ScopedEnv one_thread("OMP_NUM_THREADS", "1");
  const fs::path plain = plain_ablation();
  // Paths with a space and a quote: every path goes into the scripts quoted.
  const fs::path runs_dir = dir / "my runs" / "it's";
  const auto r = run(fmt::format("--runs-dir {} ablate {} --slurm --partition debug --time 1:00:00 --cpus-per-task 1 --array-max 2",
                                 quoted(runs_dir.string()), quoted(ablation_file("array").string())));
  ASSERT_EQ(r.code, 0) << r.output;
  const fs::path root = runs_dir / "array", scripts = root / "slurm";
  EXPECT_NE(r.output.find("bash " + quoted((scripts / "submit.sh").string())), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("sbatch --dependency=afterany:<the array's job id> compare.sbatch"), std::string::npos) << r.output;
  // It runs nothing: the folder holds the run list (every run pending) and the scripts.
  std::vector<std::string> made;
  for (const auto& e : fs::directory_iterator(root))
    if (!e.path().filename().string().starts_with(".")) made.push_back(e.path().filename().string());
  std::sort(made.begin(), made.end());
  EXPECT_EQ(made, (std::vector<std::string>{"ablation.json", "slurm"}));
  for (const auto& e : json::parse(read_file(root / "ablation.json"))) EXPECT_EQ(e.at("status"), "pending");

  for (const char* script : {"array.sbatch", "compare.sbatch", "submit.sh"})
    EXPECT_EQ(std::system(fmt::format("bash -n {}", quoted((scripts / script).string())).c_str()), 0) << script;
  const std::string array = read_file(scripts / "array.sbatch");
  for (const char* line : {"#SBATCH --job-name=array\n", "#SBATCH --array=0-2%2\n", "#SBATCH --cpus-per-task=1\n",
                           "#SBATCH --partition=debug\n", "#SBATCH --time=1:00:00\n", "--shard \"$SLURM_ARRAY_TASK_ID/3\""})
    EXPECT_NE(array.find(line), std::string::npos) << line << " not in\n" << array;
  EXPECT_NE(array.find("--runs-dir " + quoted(runs_dir.string())), std::string::npos) << array;
  EXPECT_NE(read_file(scripts / "submit.sh").find("sbatch --parsable --dependency=\"afterany:$array\" compare.sbatch"), std::string::npos);

  // Bash reads #SBATCH lines as comments: each task by hand, as Slurm would start it.
  auto bash = [&](const std::string& env, const char* script, const std::string& log) {
    const int status =
        std::system(fmt::format("{} bash {} > {} 2>&1", env, quoted((scripts / script).string()), quoted((dir / log).string())).c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  EXPECT_NE(bash("env -u SLURM_ARRAY_TASK_ID", "array.sbatch", "none.txt"), 0);
  EXPECT_NE(read_file(dir / "none.txt").find("SLURM_ARRAY_TASK_ID: is not set"), std::string::npos) << read_file(dir / "none.txt");
  for (int task = 0; task < 3; ++task) {
    const std::string log = fmt::format("task{}.txt", task);
    EXPECT_EQ(bash(fmt::format("SLURM_ARRAY_TASK_ID={} SLURM_CPUS_PER_TASK=1", task), "array.sbatch", log), 0) << read_file(dir / log);
    EXPECT_NE(read_file(dir / log).find(fmt::format("ablation array, shard {}/3: 1 of its 3 runs", task)), std::string::npos)
        << read_file(dir / log);
  }
  expect_same_runs(plain, root);

  EXPECT_FALSE(fs::exists(root / "compare"));
  EXPECT_EQ(bash("", "compare.sbatch", "compare.txt"), 0) << read_file(dir / "compare.txt");
  EXPECT_TRUE(fs::exists(root / "compare" / "report.html")) << read_file(dir / "compare.txt");
  EXPECT_TRUE(fs::exists(root / "compare" / "report.md"));
}

}  // namespace
}  // namespace sinklab::testing
