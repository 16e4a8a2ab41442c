// The sinklab binary as a user runs it: bad inputs, resume, Ctrl-C. Everything runs in a temp dir.
#include <gtest/gtest.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <fstream>

#include <nlohmann/json.hpp>

#include "analysis/attention_metrics.h"
#include "analysis/chance.h"
#include "io/npy.h"
#include "support/cli_fixture.h"
#include "support/cli_runner.h"
#include "support/temp_dir.h"
#include "train/config.h"
#include "train/metrics.h"

namespace sinklab::testing {
namespace {

namespace fs = std::filesystem;

class Cli : public CliFixture {};

std::string fmt_losses(const std::vector<train::StepMetrics>& ms) {
  std::string s;
  for (const auto& m : ms) s += fmt::format("{}:{} ", m.step, m.loss);
  return s;
}

TEST_F(Cli, TrainWritesACompleteRunFolder) {
  const auto r = run("train " + (dir / "tiny.yaml").string() + " --name full");
  ASSERT_EQ(r.code, 0) << r.output;
  const fs::path run_dir = dir / "runs" / "full";
  for (const char* f : {"config.resolved.yaml", "metrics.jsonl", "metrics.csv", "log.txt", "checkpoints/latest",
                        "checkpoints/step_0000008/model.safetensors", "checkpoints/step_0000008/optimizer.safetensors",
                        "checkpoints/step_0000008/state.json"})
    EXPECT_TRUE(fs::exists(run_dir / f)) << f;
  const auto ms = metrics("full");
  ASSERT_EQ(ms.size(), 8u);
  EXPECT_TRUE(ms[3].val_loss.has_value());
  EXPECT_TRUE(ms[7].val_loss.has_value());
  EXPECT_FALSE(ms[4].val_loss.has_value());
  EXPECT_LT(ms[7].loss, ms[0].loss);
  EXPECT_NE(r.output.find("step 8/8"), std::string::npos) << r.output;
  // The run ends with how its sink statistics moved, beside their uniform level (16 probe tokens here).
  EXPECT_NE(r.output.find("emergence, step 0 to 8 (probe: 16 positions"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(fmt::format("{:.3f}", analysis::chance::sink_score({16, 0}))), std::string::npos) << r.output;
  const auto e = run("eval full");
  EXPECT_EQ(e.code, 0) << e.output;
  EXPECT_NE(e.output.find("val_loss"), std::string::npos);
  const auto s = run("sample full --prompt 'the cat' --tokens 10 --seed 3");
  EXPECT_EQ(s.code, 0) << s.output;
  EXPECT_TRUE(s.output.starts_with("the cat")) << s.output;
}

// Both optimizers' state goes through the checkpoint: AdamW's moments, SGD's momentum.
TEST_F(Cli, ResumeIsBitIdenticalToAStraightRun) {
  for (const std::string optimizer : {"adamw", "sgd"}) {
    SCOPED_TRACE(optimizer);
    const std::string cfg = (dir / "tiny.yaml").string() + " --set optim.name=" + optimizer;
    ASSERT_EQ(run("train " + cfg + " --name straight-" + optimizer).code, 0);
    const auto first = run("train " + cfg + " --name split-" + optimizer + " --stop-after 4");
    ASSERT_EQ(first.code, 0) << first.output;
    ASSERT_EQ(metrics("split-" + optimizer).size(), 4u);
    const auto second = run("train " + cfg + " --name split-" + optimizer + " --resume");
    ASSERT_EQ(second.code, 0) << second.output;
    EXPECT_NE(second.output.find("from step 4"), std::string::npos) << second.output;
    const auto a = metrics("straight-" + optimizer), b = metrics("split-" + optimizer);
    ASSERT_EQ(a.size(), b.size()) << fmt_losses(b);
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].loss, b[i].loss) << "step " << a[i].step;  // exact, not approximate
      EXPECT_EQ(a[i].grad_norm, b[i].grad_norm) << "step " << a[i].step;
      EXPECT_EQ(a[i].val_loss, b[i].val_loss) << "step " << a[i].step;
    }
    if (optimizer == "sgd") {  // and SGD trains: its losses are not AdamW's
      const auto adamw = metrics("straight-adamw");
      EXPECT_NE(adamw.back().loss, a.back().loss);
      EXPECT_LT(a.back().loss, a.front().loss) << fmt_losses(a);
    }
  }
}

// A finished run continues past its end when its cosine keeps its end: the same bits as one run
// trained that long from the start. Changing train.steps alone would change past learning rates.
TEST_F(Cli, AFinishedRunIsExtendedWhenItsScheduleIsKept) {
  const std::string cfg = (dir / "tiny.yaml").string();
  ASSERT_EQ(run("train " + cfg + " --name straight --set train.steps=12 --set optim.decay_steps=8").code, 0);
  ASSERT_EQ(run("train " + cfg + " --name extended").code, 0);
  const auto moved = run("train " + cfg + " --name extended --resume --set train.steps=12");
  EXPECT_NE(moved.code, 0);
  EXPECT_NE(moved.output.find("saved '  decay_steps: 8', now '  decay_steps: 12'); to extend the run, keep its schedule "
                              "with --set optim.decay_steps=8"),
            std::string::npos)
      << moved.output;
  const auto other = run("train " + cfg + " --name extended --resume --set train.steps=12 --set optim.decay_steps=8 --set optim.lr=0.02");
  EXPECT_NE(other.code, 0);
  EXPECT_EQ(other.output.find("to extend the run"), std::string::npos) << other.output;  // the schedule is not the only change
  ASSERT_EQ(metrics("extended").size(), 8u);
  const auto early = run("train " + cfg + " --name early --set optim.decay_steps=2");
  EXPECT_NE(early.output.find("optim.decay_steps: must be 0 (train.steps) or more than optim.warmup = 2, got 2"), std::string::npos)
      << early.output;
  const auto kept = run("train " + cfg + " --name extended --resume --set train.steps=12 --set optim.decay_steps=8");
  ASSERT_EQ(kept.code, 0) << kept.output;
  EXPECT_NE(kept.output.find("from step 8"), std::string::npos) << kept.output;
  const auto a = metrics("straight"), b = metrics("extended");
  ASSERT_EQ(a.size(), 12u);
  ASSERT_EQ(b.size(), 12u) << fmt_losses(b);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].loss, b[i].loss) << "step " << a[i].step;
    EXPECT_EQ(a[i].lr, b[i].lr) << "step " << a[i].step;
  }
  EXPECT_EQ(a[11].lr, a[8].lr);  // the floor holds after the cosine
  const auto shorter = run("train " + cfg + " --name extended --resume --set train.steps=10 --set optim.decay_steps=8");
  EXPECT_NE(shorter.output.find("the checkpoint is at step 12, past train.steps = 10; a run goes on from it only with "
                                "train.steps >= 12"),
            std::string::npos)
      << shorter.output;
}

TEST_F(Cli, CtrlCFinishesTheStepCheckpointsAndResumes) {
  const auto cfg = (dir / "tiny.yaml").string();
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open((dir / "interrupted.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execl(SINKLAB_BINARY, SINKLAB_BINARY, "train", cfg.c_str(), "--name", "ctrlc", "--set", "train.steps=100000", "--set",
          "train.checkpoint_every=0", static_cast<char*>(nullptr));
    _exit(127);
  }
  const fs::path jsonl = dir / "runs" / "ctrlc" / "metrics.jsonl";
  for (int i = 0; i < 600 && !(fs::exists(jsonl) && fs::file_size(jsonl) > 0); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(fs::exists(jsonl)) << read_file(dir / "interrupted.log");
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  const std::string log = read_file(dir / "interrupted.log");
  ASSERT_TRUE(WIFEXITED(status)) << log;
  EXPECT_EQ(WEXITSTATUS(status), 130) << log;
  EXPECT_NE(log.find("interrupted: checkpoint written at step"), std::string::npos) << log;
  const auto ms = metrics("ctrlc");
  ASSERT_FALSE(ms.empty());
  const std::int64_t last = ms.back().step;
  EXPECT_EQ(read_file(dir / "runs" / "ctrlc" / "checkpoints" / "latest"), fmt::format("step_{:07d}\n", last));
  const auto resumed = run("train " + cfg + " --name ctrlc --resume --set train.steps=100000 --set train.checkpoint_every=0 --stop-after " +
                           std::to_string(last + 2));
  EXPECT_EQ(resumed.code, 0) << resumed.output;
  const auto after = metrics("ctrlc");
  ASSERT_EQ(after.size(), static_cast<std::size_t>(last + 2));
  EXPECT_EQ(after.back().step, last + 2);
}

TEST_F(Cli, BadInputsGiveClearErrorsAndNeverDamageARun) {
  const auto cfg = (dir / "tiny.yaml").string();
  ASSERT_EQ(run("train " + cfg + " --name existing").code, 0);
  const fs::path existing = dir / "runs" / "existing";
  const auto before = snapshot(existing);

  struct Case {
    std::string what, args, expected;
  };
  write_file(dir / "empty.txt", "");
  write_file(dir / "latin1.txt", "caf\xe9 au lait\n");
  write_file(dir / "unknown.yaml", "extends: tiny.yaml\nmodel:\n  d_modle: 64\n");
  write_file(dir / "type.yaml", "extends: tiny.yaml\ntrain:\n  steps: ten\n");
  write_file(dir / "lr.yaml", "extends: tiny.yaml\noptim:\n  lr: -1\n");
  write_file(dir / "heads.yaml", "extends: tiny.yaml\nmodel:\n  n_head: 3\n");
  const std::vector<Case> cases{
      {"missing data file", "train " + cfg + " --name new1 --set data.path=" + (dir / "nope.txt").string(), "nope.txt: data file not found"},
      {"empty data file", "train " + cfg + " --name new2 --set data.path=" + (dir / "empty.txt").string(), "empty.txt: data file is empty"},
      {"non-UTF-8 data file", "train " + cfg + " --name new3 --set data.path=" + (dir / "latin1.txt").string(), "latin1.txt:1: data file is not UTF-8"},
      {"unknown key", "train " + (dir / "unknown.yaml").string() + " --name existing --resume", "unknown.yaml:3: unknown key 'model.d_modle'"},
      {"wrong type", "train " + (dir / "type.yaml").string() + " --name existing --resume", "type.yaml:3: train.steps: expected an integer, got 'ten'"},
      {"negative lr", "train " + (dir / "lr.yaml").string() + " --name existing --resume", "lr.yaml:3: optim.lr: must be positive"},
      {"indivisible heads", "train " + (dir / "heads.yaml").string() + " --name existing --resume", "model.n_head: d_model 32 is not divisible by n_head 3"},
      {"existing run without --resume", "train " + cfg + " --name existing", "already exists; continue it with --resume"},
      {"changed config on resume", "train " + cfg + " --name existing --resume --set optim.lr=0.02", "differs from the run being resumed"},
  };
  for (const auto& c : cases) {
    const auto r = run(c.args);
    EXPECT_NE(r.code, 0) << c.what;
    EXPECT_NE(r.output.find("error: "), std::string::npos) << c.what << ": " << r.output;
    EXPECT_NE(r.output.find(c.expected), std::string::npos) << c.what << ": " << r.output;
    EXPECT_EQ(snapshot(existing), before) << c.what << " changed the existing run folder";
  }
  for (const char* name : {"new1", "new2", "new3"}) EXPECT_FALSE(fs::exists(dir / "runs" / name)) << name;
}

TEST_F(Cli, DamagedCheckpointsAreRefusedByName) {
  const auto cfg = (dir / "tiny.yaml").string();
  ASSERT_EQ(run("train " + cfg + " --name damaged --set train.steps=4").code, 0);
  const fs::path model = dir / "runs" / "damaged" / "checkpoints" / "step_0000004" / "model.safetensors";
  const std::string good = read_file(model);
  for (const auto& [what, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"truncated", good.substr(0, good.size() / 2)},
           {"corrupted", [&] {
              std::string b = good;
              b[b.size() - 100] ^= 0x40;
              return b;
            }()}}) {
    write_file(model, bytes);
    const auto snap = snapshot(dir / "runs" / "damaged");
    for (const std::string& args : std::vector<std::string>{"eval damaged", "train " + cfg + " --name damaged --resume --set train.steps=4"}) {
      const auto r = run(args);
      EXPECT_NE(r.code, 0) << what << " " << args;
      EXPECT_NE(r.output.find("model.safetensors: checkpoint file is damaged"), std::string::npos) << what << ": " << r.output;
    }
    EXPECT_EQ(snapshot(dir / "runs" / "damaged"), snap) << what;
  }
}

TEST_F(Cli, AblationRerunFinishesOnlyWhatIsMissing) {
  write_file(dir / "grid.yaml", "base: tiny.yaml\noverrides:\n  train.steps: 6\ngrid:\n  optim.lr: [0.01, 0.02]\nseeds: [0, 1]\n");
  const std::string cmd = "ablate " + (dir / "grid.yaml").string() + " --jobs 2";
  const auto partial = run(cmd + " --stop-after 3");
  ASSERT_EQ(partial.code, 0) << partial.output;
  const fs::path root = dir / "runs" / "grid";
  for (const char* name : {"lr-0.01-s0", "lr-0.01-s1", "lr-0.02-s0", "lr-0.02-s1"}) ASSERT_EQ(metrics("grid/" + std::string(name)).size(), 3u) << name;
  fs::remove_all(root / "lr-0.02-s1");  // as if it had never started

  const auto rest = run(cmd);
  ASSERT_EQ(rest.code, 0) << rest.output;
  EXPECT_NE(rest.output.find("4 runs (0 finished already, 4 to run)"), std::string::npos) << rest.output;
  std::size_t resumed = 0;
  for (std::size_t at = 0; (at = rest.output.find("(resuming)", at)) != std::string::npos; ++at) ++resumed;
  EXPECT_EQ(resumed, 3u) << rest.output;
  for (const char* name : {"lr-0.01-s0", "lr-0.01-s1", "lr-0.02-s0", "lr-0.02-s1"}) EXPECT_EQ(metrics("grid/" + std::string(name)).size(), 6u) << name;

  // The resumed run equals the same run done straight, with the thread count ablate gave it.
  const auto threads = train::load_config(root / "lr-0.01-s1" / "config.resolved.yaml").train.threads;
  ASSERT_EQ(run("train " + (dir / "tiny.yaml").string() + " --name straight --set train.steps=6 --set optim.lr=0.01 --set seed=1" +
                " --set train.threads=" + std::to_string(threads)).code, 0);
  const auto a = metrics("straight"), b = metrics("grid/lr-0.01-s1");
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].loss, b[i].loss) << "step " << a[i].step;

  auto runs_only = [&] {
    auto snap = snapshot(root);
    std::erase_if(snap, [](const auto& kv) { return !kv.first.starts_with("lr-"); });
    return snap;
  };
  const auto before = runs_only();
  const auto again = run(cmd);
  EXPECT_EQ(again.code, 0) << again.output;
  EXPECT_NE(again.output.find("4 runs (4 finished already, 0 to run)"), std::string::npos) << again.output;
  EXPECT_EQ(runs_only(), before);
  EXPECT_TRUE(fs::exists(root / "ablation.json"));
  EXPECT_TRUE(fs::exists(root / "compare" / "report.html")) << again.output;  // ablate ends with the comparison
  EXPECT_NE(again.output.find("comparison report:"), std::string::npos);
}

TEST_F(Cli, AblationErrorsNameTheVariantAndTheAllowedValues) {
  write_file(dir / "bad.yaml", "base: tiny.yaml\nvariants:\n  - name: ok\n  - name: odd\n    overrides:\n      model.attention.gate: sometimes\n");
  const auto r = run("ablate " + (dir / "bad.yaml").string());
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("variant 'odd'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("model.attention.gate: 'sometimes' is not one of: none, elementwise, headwise"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "runs" / "bad"));
  write_file(dir / "typo.yaml", "base: tiny.yaml\nvariant:\n  - name: a\n");
  EXPECT_NE(run("ablate " + (dir / "typo.yaml").string()).output.find("unknown key 'variant'"), std::string::npos);
}

TEST_F(Cli, AnalysisDoesNotChangeTraining) {
  const auto cfg = (dir / "tiny.yaml").string();
  ASSERT_EQ(run("train " + cfg + " --name with --set analysis.every=2").code, 0);
  ASSERT_EQ(run("train " + cfg + " --name without --set analysis.every=0").code, 0);
  const auto a = metrics("with"), b = metrics("without");
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].loss, b[i].loss) << "step " << a[i].step;
    EXPECT_EQ(a[i].val_loss, b[i].val_loss) << "step " << a[i].step;
  }
  EXPECT_TRUE(fs::exists(dir / "runs" / "with" / "analysis.jsonl"));
  EXPECT_FALSE(fs::exists(dir / "runs" / "without" / "analysis.jsonl"));
}

TEST_F(Cli, AnalysisScoresEqualThoseRecomputedFromTheSnapshots) {
  const auto r = run("train " + (dir / "tiny.yaml").string() +
                     " --name an --set model.n_layer=2 --set model.attention.registers=2 --set analysis.every=2 --set analysis.snapshot_every=2");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("analysis @ step 0"), std::string::npos) << r.output;
  const fs::path run_dir = dir / "runs" / "an";
  std::ifstream in(run_dir / "analysis.jsonl");
  std::vector<nlohmann::json> records;
  for (std::string line; std::getline(in, line);) records.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(records.size(), 5u);  // steps 0, 2, 4, 6, 8
  int snapshots = 0;
  for (const auto& rec : records) {
    if (!rec.contains("snapshot")) continue;
    ++snapshots;
    const Tensor maps = io::read_npy(run_dir / rec.at("snapshot").get<std::string>());
    ASSERT_EQ(maps.dim(), 4u);
    const std::int64_t L = maps.shape()[0], H = maps.shape()[1], N = maps.shape()[2], first = 2;
    EXPECT_EQ(L, 2);
    EXPECT_EQ(N, 16 + 2);  // registers + probe tokens
    for (std::int64_t l = 0; l < L; ++l)
      for (std::int64_t h = 0; h < H; ++h) {
        const float* m = maps.data<float>() + (l * H + h) * N * N;
        const auto s = analysis::map_stats(m, N, first);
        EXPECT_NEAR(s.sink_score, rec.at("sink_score")[l][h].get<double>(), 1e-6) << "step " << rec.at("step");
        EXPECT_NEAR(s.diag_score, rec.at("diag_score")[l][h].get<double>(), 1e-6);
        EXPECT_NEAR(s.first_mass, rec.at("first_mass")[l][h].get<double>(), 1e-6);
        EXPECT_NEAR(s.register_mass, rec.at("register_mass")[l][h].get<double>(), 1e-6);
      }
  }
  EXPECT_EQ(snapshots, 3);  // the first, every 2nd analysis, the last
  const auto summary = nlohmann::json::parse(read_file(run_dir / "summary.json"));
  EXPECT_EQ(summary.at("step"), 8);
  EXPECT_EQ(summary.at("sink_rate_emergence").size(), 2u);

  const auto a = run("analyze an");
  ASSERT_EQ(a.code, 0) << a.output;
  EXPECT_NE(a.output.find("sink rate (eps 0.3)"), std::string::npos) << a.output;
  const auto standalone = nlohmann::json::parse(read_file(run_dir / "analyze" / "step_0000008.json"));
  EXPECT_EQ(standalone.at("sink_score"), records.back().at("sink_score"));  // same checkpoint, same numbers
}

}  // namespace
}  // namespace sinklab::testing
