// Hostile input and faults, through the sinklab binary (docs/reliability.md): numbers read from
// files are checked before use, nothing is written outside the run folder, one writer per run,
// failed writes lose nothing, no input eats the machine, a config means one thing, and divergence
// keeps a finite checkpoint. Every case runs in a temporary folder.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "io/file_lock.h"
#include "io/records.h"
#include "io/safetensors.h"
#include "io/sha256.h"
#include "support/cli_fixture.h"

namespace sinklab::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

class Hostile : public CliFixture {
 protected:
  std::string cfg() const { return (dir / "tiny.yaml").string(); }

  // A refusal: a clean error (exit 1, "error: ..." naming `expected`), never a crash.
  void expect_refused(const std::string& args, const std::string& expected) {
    const auto r = run(args);
    EXPECT_EQ(r.code, 1) << args << "\n" << r.output;
    EXPECT_NE(r.output.find("error: "), std::string::npos) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(expected), std::string::npos) << args << "\n  expected: " << expected << "\n  got: " << r.output;
  }

  fs::path checkpoint(const std::string& run, int step) const {
    return dir / "runs" / run / "checkpoints" / fmt::format("step_{:07d}", step);
  }

  // Rewrites a checkpoint's model.safetensors and the checksum state.json keeps of it, so that
  // only the content (not the checksum) is what a loader has to refuse.
  void replace_weights(const fs::path& ckpt, const io::TensorList& tensors) {
    const std::string bytes = io::encode_safetensors(tensors);
    write_file(ckpt / "model.safetensors", bytes);
    edit_state(ckpt, [&](json& j) { j["sha256"]["model.safetensors"] = io::sha256_hex(bytes); });
  }

  template <class Edit>
  void edit_state(const fs::path& ckpt, Edit edit) {
    json j = json::parse(read_file(ckpt / "state.json"));
    edit(j);
    write_file(ckpt / "state.json", j.dump(2));
  }

  // Starts `sinklab args...` in the background, its output into `log`.
  pid_t start(const std::vector<std::string>& args, const fs::path& log) {
    const pid_t pid = fork();
    if (pid == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<char*> argv{const_cast<char*>(SINKLAB_BINARY)};
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(SINKLAB_BINARY, argv.data());
      _exit(127);
    }
    return pid;
  }

  void wait_for_records(const fs::path& jsonl, const fs::path& log) {
    for (int i = 0; i < 1200 && !(fs::exists(jsonl) && fs::file_size(jsonl) > 0); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(fs::exists(jsonl)) << read_file(log);
  }
};

std::string npy(const std::string& shape, std::size_t data_bytes) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + shape + "), }";
  header.append(63 - (10 + header.size()) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  const auto len = static_cast<std::uint16_t>(header.size());
  out.append(reinterpret_cast<const char*>(&len), 2);
  return out + header + std::string(data_bytes, '\0');
}

// Class 1: every number read from a file is checked before it is used.
TEST_F(Hostile, NumbersReadFromFilesAreCheckedBeforeUse) {
  ASSERT_EQ(run("train " + cfg() + " --name r --set analysis.every=4").code, 0);
  const fs::path r = dir / "runs" / "r";
  ASSERT_EQ(run("compare r --out " + (dir / "cmp").string()).code, 0);

  // Attention snapshots (read by compare): another rank, a byte count that wraps, a huge shape.
  const fs::path snap = r / "attn" / "step_0000000.npy";
  const std::string good_snap = read_file(snap);
  for (const auto& [bytes, expected] : std::vector<std::pair<std::string, std::string>>{
           {npy("2, 16, 16", 2 * 16 * 16 * 4), "expected a 4-axis array, the file holds 3 axes"},
           {npy("4611686018427387904, 4, 1, 1", 64), "implausibly large"},
           {npy("1000000, 1000, 16, 16", 64), "does not match its shape"},
           {npy("1, 5, 16, 16", 5 * 16 * 16 * 4), "the run has 1 layers x 2 heads"},
           {npy("1, 2,, 16", 64), "is not a list of sizes"},
           {std::string("\x93NUMPY\x01\x00\xff\xff", 10), "truncated .npy header"}}) {
    write_file(snap, bytes);
    expect_refused("compare r --out " + (dir / "cmp").string(), expected);
  }
  write_file(snap, good_snap);

  // Analysis records: a grid of another shape, a snapshot path leading out of the run.
  const std::string good_analysis = read_file(r / "analysis.jsonl");
  auto records = io::read_jsonl(r / "analysis.jsonl");
  ASSERT_EQ(records.size(), 3u);
  for (const auto& [edit, expected] : std::vector<std::pair<std::function<void(json&)>, std::string>>{
           {[](json& j) { j["sink_score"] = json::array({json::array({0.5})}); }, "analysis.jsonl:2: 'sink_score' has 1 heads, the run's other records 2"},
           {[](json& j) { j["snapshot"] = "../../../outside.npy"; }, "analysis.jsonl:2: 'snapshot' must name a file attn/step_<N>.npy"},
           {[](json& j) { j["eps"] = "all"; }, "analysis.jsonl:2: 'eps' must be a list"},
           {[](json& j) { j["step"] = -4; }, "analysis.jsonl:2: 'step' must be a whole number"}}) {
    json changed = records[1].value;
    edit(changed);
    write_file(r / "analysis.jsonl", records[0].value.dump() + "\n" + changed.dump() + "\n" + records[2].value.dump() + "\n");
    expect_refused("compare r --out " + (dir / "cmp").string(), expected);
  }
  write_file(r / "analysis.jsonl", good_analysis);

  // Checkpoints: a tensor the model lacks, another dtype, numbers of state.json, where latest points.
  const fs::path ckpt = checkpoint("r", 8);
  const std::string good_model = read_file(ckpt / "model.safetensors"), good_state = read_file(ckpt / "state.json");
  auto weights = io::decode_safetensors(good_model, ckpt / "model.safetensors").tensors;
  auto extra = weights;
  extra.emplace_back("blocks.7.attn.wq.weight", Tensor::zeros({2, 2}));
  replace_weights(ckpt, extra);
  expect_refused("eval r", "holds 'blocks.7.attn.wq.weight', which the model does not have");
  auto as_int = weights;
  as_int[0].second = Tensor::zeros(as_int[0].second.shape(), DType::i32);
  replace_weights(ckpt, as_int);
  expect_refused("eval r", "sinklab's weights are float32");
  write_file(ckpt / "model.safetensors", good_model);
  for (const auto& [edit, expected] : std::vector<std::pair<std::function<void(json&)>, std::string>>{
           {[](json& j) { j["step"] = 3.5; }, "'step' must be a whole number"},
           {[](json& j) { j["step"] = 4; }, "records step 4, but it lies in the folder step_0000008"},
           {[](json& j) { j["loader"]["cursor"] = -1; }, "'loader.cursor' must be a whole number"},
           {[](json& j) { j["loader"]["rng"] = json::array({1, 2}); }, "'loader.rng' must be a list of 4"},
           {[](json& j) { j["tokens"] = 12345; }, "records 12345 tokens at step 8"},
           {[](json& j) { j["processes"] = 0; }, "'processes' must be at least 1"},
           {[](json& j) { j["processes"] = "two"; }, "'processes' must be a whole number"}}) {
    write_file(ckpt / "state.json", good_state);
    edit_state(ckpt, edit);
    expect_refused("train " + cfg() + " --name r --resume --set analysis.every=4", expected);
  }
  write_file(ckpt / "state.json", good_state);
  ASSERT_EQ(run("train " + cfg() + " --name other").code, 0);
  write_file(r / "checkpoints" / "latest", "../../other/checkpoints/step_0000008\n");
  expect_refused("eval r", "which is not a checkpoint of this run");
  write_file(r / "checkpoints" / "latest", "step_0000008\n");
  EXPECT_EQ(run("eval r").code, 0);

  // Token files: an id past the vocabulary (it would index past the embedding table).
  fs::path tokens;
  for (const auto& e : fs::recursive_directory_iterator(dir / "data" / "cache" / "tokens"))
    if (e.path().extension() == ".bin") tokens = e.path();
  ASSERT_FALSE(tokens.empty());
  std::string bytes = read_file(tokens);
  bytes[bytes.size() - 2] = '\xff';
  bytes[bytes.size() - 1] = '\xff';
  write_file(tokens, bytes);
  expect_refused("train " + cfg() + " --name t2 --set train.steps=1", "a token id outside its vocabulary");
  EXPECT_FALSE(fs::exists(dir / "runs" / "t2"));
}

// Class 2: nothing is written outside the run folder.
TEST_F(Hostile, NothingIsWrittenOutsideTheRunFolder) {
  ASSERT_EQ(run("train " + cfg() + " --name r --set train.steps=2").code, 0);
  const auto runs_before = snapshot(dir / "runs");
  for (const std::string name : {"../escape", "/tmp/sinklab-escape", ".", "..", "a/b", "tab\tname"})
    for (const std::string resume : {"", " --resume"}) {
      expect_refused("train " + cfg() + " --name '" + name + "'" + resume, "is not a plain folder name");
      EXPECT_FALSE(fs::exists(dir / "escape"));
      EXPECT_FALSE(fs::exists("/tmp/sinklab-escape"));
    }
  expect_refused("train " + cfg() + " --name ''", "--name is empty");
  EXPECT_EQ(snapshot(dir / "runs"), runs_before);

  // A run folder that is a link to elsewhere, or holds one, is never written through.
  fs::create_directories(dir / "elsewhere");
  fs::copy(dir / "runs" / "r", dir / "elsewhere" / "r", fs::copy_options::recursive);
  fs::create_directory_symlink(dir / "elsewhere" / "r", dir / "runs" / "linked");
  const auto elsewhere = snapshot(dir / "elsewhere");
  expect_refused("train " + cfg() + " --name linked --resume --set train.steps=2", "is not a folder of its own");
  write_file(dir / "outside.txt", "precious\n");
  fs::create_symlink(dir / "outside.txt", dir / "runs" / "r" / "notes.txt");
  expect_refused("train " + cfg() + " --name r --resume --set train.steps=4", "holds a symbolic link");
  EXPECT_EQ(snapshot(dir / "elsewhere"), elsewhere);
  EXPECT_EQ(read_file(dir / "outside.txt"), "precious\n");
  fs::remove(dir / "runs" / "r" / "notes.txt");

  // --resume continues sinklab runs only.
  write_file(dir / "runs" / "mine" / "thesis.tex", "do not touch\n");
  expect_refused("train " + cfg() + " --name mine --resume", "not a sinklab run folder");
  EXPECT_EQ(read_file(dir / "runs" / "mine" / "thesis.tex"), "do not touch\n");
  EXPECT_EQ(fs::directory_iterator(dir / "runs" / "mine")->path().filename(), ".lock");

  // Names taken from files: a config file's name, an ablation's and a variant's.
  write_file(dir / "my config.yaml", "extends: tiny.yaml\n");
  expect_refused("train '" + (dir / "my config.yaml").string() + "'", "give one with --name");
  write_file(dir / "abl.yaml", "name: ../out\nbase: tiny.yaml\nvariants:\n  - name: a\n");
  expect_refused("ablate " + (dir / "abl.yaml").string(), "the ablation's name '../out' is not a plain folder name");
  write_file(dir / "abl.yaml", "base: tiny.yaml\nvariants:\n  - name: ../../v\n");
  expect_refused("ablate " + (dir / "abl.yaml").string(), "variant name '../../v' is not a plain folder name");
  EXPECT_FALSE(fs::exists(dir / "out"));
  EXPECT_FALSE(fs::exists(dir / "v"));
}

// Class 3: one writer per run, named by its PID; the lock goes with the process, even on kill -9.
TEST_F(Hostile, OneWriterPerRun) {
  const fs::path log = dir / "long.log";
  const pid_t pid = start({"train", cfg(), "--name", "long", "--set", "train.steps=1000000", "--set", "train.checkpoint_every=0"}, log);
  wait_for_records(dir / "runs" / "long" / "metrics.jsonl", log);
  const std::string holder = fmt::format("in use by another sinklab process (PID {}", pid);
  expect_refused("train " + cfg() + " --name long --resume --set train.steps=1000000 --set train.checkpoint_every=0", holder);
  expect_refused("train " + cfg() + " --name long", "already exists");
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  // The killed run left no checkpoint: resuming starts it again, under a new lock.
  const auto again = run("train " + cfg() + " --name long --resume --set train.steps=1000000 --set train.checkpoint_every=0 --stop-after 2");
  EXPECT_EQ(again.code, 0) << again.output;

  // An ablation folder: a second ablate stops at once, naming the holder.
  write_file(dir / "abl.yaml", "base: tiny.yaml\nvariants:\n  - name: a\n");
  fs::create_directories(dir / "runs" / "abl");
  write_file(dir / "runs" / "abl" / "ablation.json", "[]\n");
  {
    io::FileLock held(dir / "runs" / "abl" / ".lock", "the test's ablation");
    expect_refused("ablate " + (dir / "abl.yaml").string(), fmt::format("PID {}", getpid()));
  }
  EXPECT_EQ(run("ablate " + (dir / "abl.yaml").string()).code, 0);
}

// kill -9 at any moment: the run resumes from its last complete checkpoint, and its records
// end up those of an uninterrupted run.
TEST_F(Hostile, KillNineAtAnyMomentResumesExactly) {
  const std::string set = " --set train.steps=24 --set train.checkpoint_every=2 --set analysis.every=3";
  ASSERT_EQ(run("train " + cfg() + " --name straight" + set).code, 0);
  const auto straight = metrics("straight");
  for (const std::size_t after : {3u, 8u, 13u, 19u}) {
    const std::string name = fmt::format("killed{}", after);
    const fs::path log = dir / (name + ".log"), jsonl = dir / "runs" / name / "metrics.jsonl";
    const pid_t pid = start({"train", cfg(), "--name", name, "--set", "train.steps=24", "--set", "train.checkpoint_every=2",
                             "--set", "analysis.every=3"},
                            log);
    for (int i = 0; i < 2400 && !(fs::exists(jsonl) && train::read_metrics(jsonl).size() >= after); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    const auto resumed = run("train " + cfg() + " --name " + name + " --resume" + set);
    ASSERT_EQ(resumed.code, 0) << name << ": " << resumed.output;
    const auto ms = metrics(name);
    ASSERT_EQ(ms.size(), straight.size()) << name;
    for (std::size_t i = 0; i < ms.size(); ++i) {
      EXPECT_EQ(ms[i].loss, straight[i].loss) << name << " step " << ms[i].step;
      EXPECT_EQ(ms[i].val_loss, straight[i].val_loss) << name << " step " << ms[i].step;
    }
    const auto a = io::read_jsonl(dir / "runs" / name / "analysis.jsonl"), b = io::read_jsonl(dir / "runs" / "straight" / "analysis.jsonl");
    ASSERT_EQ(a.size(), b.size()) << name;
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].value.at("sink_score"), b[i].value.at("sink_score")) << name;
  }
}

// Class 4: a failed write (here a file size limit, as a full disk would) stops training with an
// error naming the file; records stay whole, the last checkpoint loadable, and resuming gives the
// same records as an uninterrupted run.
TEST_F(Hostile, AFailedWriteStopsTrainingAndLosesNothing) {
  // 16 steps, stopped after 8: metrics.jsonl is then the largest file the resumed run appends to
  // or rewrites, so it is the one that meets the limit first.
  const std::string steps = " --set train.steps=16 --set analysis.every=0";
  ASSERT_EQ(run("train " + cfg() + " --name straight" + steps).code, 0);
  ASSERT_EQ(run("train " + cfg() + " --name full --stop-after 8" + steps).code, 0);
  const fs::path jsonl = dir / "runs" / "full" / "metrics.jsonl";
  const auto limit = static_cast<rlim_t>(fs::file_size(jsonl) + 250);  // room for one more record
  for (const char* other : {"config.resolved.yaml", "log.txt", "metrics.csv"})
    ASSERT_LT(fs::file_size(dir / "runs" / "full" / other), limit - 250) << other;
  const fs::path log = dir / "limited.log";
  const pid_t pid = fork();
  if (pid == 0) {
    const rlimit rl{limit, limit};
    setrlimit(RLIMIT_FSIZE, &rl);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    const std::string c = cfg();
    execl(SINKLAB_BINARY, SINKLAB_BINARY, "train", c.c_str(), "--name", "full", "--resume", "--set", "train.steps=16",
          "--set", "analysis.every=0", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  const std::string out = read_file(log);
  ASSERT_TRUE(WIFEXITED(status)) << out;  // not killed by SIGXFSZ
  EXPECT_EQ(WEXITSTATUS(status), 1) << out;
  EXPECT_NE(out.find("metrics.jsonl: cannot append a record (File too large); the file still ends with the last whole record"),
            std::string::npos)
      << out;
  const std::string text = read_file(jsonl);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const auto kept = metrics("full");
  EXPECT_EQ(kept.size(), 9u);
  EXPECT_EQ(read_file(dir / "runs" / "full" / "checkpoints" / "latest"), "step_0000008\n");
  EXPECT_EQ(run("eval full").code, 0);
  const auto resumed = run("train " + cfg() + " --name full --resume" + steps);
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  const auto a = metrics("straight"), b = metrics("full");
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].loss, b[i].loss) << "step " << a[i].step;
    EXPECT_EQ(a[i].val_loss, b[i].val_loss) << "step " << a[i].step;
  }
}

// Class 5: no input can make sinklab eat the machine; each refusal comes at once.
TEST_F(Hostile, InputsThatWouldEatTheMachineAreRefused) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c) bomb += fmt::format("{}: &{} [*{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}]\n", c, c, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
  write_file(dir / "bomb.yaml", "extends: tiny.yaml\n" + bomb);
  expect_refused("train " + (dir / "bomb.yaml").string() + " --name b", "bomb.yaml:2: anchors (&name) are not allowed");
  write_file(dir / "alias.yaml", "extends: tiny.yaml\ntrain:\n  steps: *n\n");
  expect_refused("train " + (dir / "alias.yaml").string() + " --name b", "alias.yaml:3: not valid YAML: the referenced anchor is not defined");

  std::string grid = "base: tiny.yaml\ngrid:\n";
  for (const char* key : {"optim.lr", "optim.min_lr", "optim.warmup", "optim.eps", "optim.clip", "optim.weight_decay", "model.init_std"})
    grid += fmt::format("  {}: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n", key);
  write_file(dir / "grid.yaml", grid + "seeds: [0, 1]\n");
  expect_refused("ablate " + (dir / "grid.yaml").string(), "the grid makes 20000000 runs (values per key x seeds), more than 1000; give --max-runs N");

  expect_refused("train " + cfg() + " --name m1 --set model.d_ff=100000000000", "model.d_ff");
  expect_refused("train " + cfg() + " --name m2 --set data.context=100000000", "GB of memory");
  expect_refused("train " + cfg() + " --name m3 --set train.batch_size=1000000000000", "train.batch_size");
  expect_refused("train " + cfg() + " --name m4 --set train.eval_batches=1000000000000", "train.eval_batches");
  expect_refused("train " + cfg() + " --name m5 --set data.path=/dev/zero", "/dev/zero: data.path and data.valid_path must name regular files");
  expect_refused("train /dev/zero --name m6", "/dev/zero: config file is not a regular file");
  for (const char* name : {"b", "m1", "m2", "m3", "m4", "m5", "m6"}) EXPECT_FALSE(fs::exists(dir / "runs" / name)) << name;

  ASSERT_EQ(run("train " + cfg() + " --name small --set train.steps=2").code, 0);
  expect_refused("eval small --batches 1000000000000", "--batches");
  expect_refused("sample small --tokens 1000000000000", "at most 1000000 are generated");
}

// Class 6: a config means one thing; errors name the file or option and the key.
TEST_F(Hostile, ConfigsMeanOneThing) {
  write_file(dir / "dup.yaml", "extends: tiny.yaml\ntrain:\n  steps: 3\n  steps: 4\n");
  expect_refused("train " + (dir / "dup.yaml").string() + " --name d", "dup.yaml:4: key 'steps' appears twice");
  write_file(dir / "dotted.yaml", "extends: tiny.yaml\ntrain.steps: 3\ntrain:\n  steps: 4\n");
  expect_refused("train " + (dir / "dotted.yaml").string() + " --name d", "train.steps: given twice (also at");
  write_file(dir / "docs.yaml", "extends: tiny.yaml\n---\ntrain:\n  steps: 4\n");
  expect_refused("train " + (dir / "docs.yaml").string() + " --name d", "docs.yaml: holds more than one YAML document");
  expect_refused("train " + cfg() + " --name d --set optim.lr=.nan", "--set optim.lr=.nan: optim.lr: expected a finite number");
  expect_refused("train " + cfg() + " --name d --set 'train={steps: 3}'", "--set train={steps: 3}: the value is a mapping");
  // --stop-after 0 once trained to the end, silently.
  expect_refused("train " + cfg() + " --name d --stop-after 0", "--stop-after must be at least 1, got 0");

  for (const auto& [text, expected] : std::vector<std::pair<std::string, std::string>>{
           {"base: tiny.yaml\ngrid:\n  seed: [0, 1]\nseeds: [0, 1]\n", "not a grid over `seed`"},
           {"base: tiny.yaml\ngrid: {}\n", "grid: expected a non-empty mapping"},
           {"base: tiny.yaml\nvariants: []\n", "variants: expected a non-empty list"},
           {"base: tiny.yaml\nvariants:\n  - name: a\n    overrides: {seed: 3}\n", "variant 'a': set seeds with `seeds:`"},
           {"base: tiny.yaml\nvariants:\n  - name: a\nseeds: [-1]\n", "seeds: '-1' is not a whole number"},
           {"base: tiny.yaml\nvariants:\n  - name: a\nseeds: [0]\nseeds: [1]\n", "key 'seeds' appears twice"},
           {"base: [tiny.yaml]\nvariants:\n  - name: a\n", "base: expected a single value"}}) {
    write_file(dir / "a.yaml", text);
    expect_refused("ablate " + (dir / "a.yaml").string(), expected);
  }
  write_file(dir / "a.yaml", "base: tiny.yaml\nvariants:\n  - name: a\n");
  expect_refused("ablate " + (dir / "a.yaml").string() + " --stop-after 0", "--stop-after must be at least 1, got 0");
  EXPECT_FALSE(fs::exists(dir / "runs" / "a"));

  ASSERT_EQ(run("train " + cfg() + " --name r --set train.steps=2").code, 0);
  expect_refused("eval r --batches 0", "--batches must be at least 1, got 0");
  expect_refused("sample r --temperature nan", "--temperature must be a finite number");
  expect_refused("analyze r --checkpoint -1", "--checkpoint must be a step of the run");
  expect_refused("analyze r --checkpoint 7", "--checkpoint 7 is outside the run's steps [0, 2]");
}

// Class 7: when training diverges, sinklab stops and names the step, and `latest` keeps the last
// checkpoint whose training was finite; non-finite weights are refused by eval.
TEST_F(Hostile, DivergenceKeepsTheLastFiniteCheckpoint) {
  const auto r = run("train " + cfg() + " --name boom --set optim.lr=1e30 --set optim.min_lr=0 --set train.checkpoint_every=1");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("training diverged at step 2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("step_0000001, holds the last finite weights"), std::string::npos) << r.output;
  EXPECT_EQ(read_file(dir / "runs" / "boom" / "checkpoints" / "latest"), "step_0000001\n");
  EXPECT_FALSE(fs::exists(checkpoint("boom", 2)));
  // Its weights are finite (blown up, they predict the uniform distribution: ln 258 = 5.553).
  const auto e = run("eval boom");
  EXPECT_EQ(e.code, 0) << e.output;
  EXPECT_NE(e.output.find("val_loss 5.5530"), std::string::npos) << e.output;

  ASSERT_EQ(run("train " + cfg() + " --name nan --set train.steps=4").code, 0);
  const fs::path ckpt = checkpoint("nan", 4);
  auto weights = io::read_safetensors(ckpt / "model.safetensors").tensors;
  weights[0].second.data<float>()[3] = std::nanf("");
  replace_weights(ckpt, weights);
  expect_refused("eval nan", "'tok_emb.weight' holds non-finite values");
  expect_refused("sample nan --tokens 3", "'tok_emb.weight' holds non-finite values");
}

}  // namespace
}  // namespace sinklab::testing
