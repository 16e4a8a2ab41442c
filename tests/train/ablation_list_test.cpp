// train::update_ablation_list: the run list that the shards of one ablation update side by side.
#include "train/ablation_list.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "support/temp_dir.h"

namespace sinklab::testing {
namespace {

train::Ablation ablation_of(std::size_t runs) {
  train::Ablation ab;
  ab.name = "abl";
  for (std::size_t i = 0; i < runs; ++i)
    ab.runs.push_back({"v" + std::to_string(i), 0, fmt::format("v{}-s0", i), {"seed=0"}, 10});
  return ab;
}

nlohmann::json list_in(const TempDir& dir) { return nlohmann::json::parse(read_file(dir / "ablation.json")); }

// Each of 8 processes owns one run and writes the list 25 times, all at once: without the lock a
// read-modify-write loses another's entry; with it every run ends finished at its last step.
TEST(AblationList, ConcurrentWritersLoseNoOutcome) {
  TempDir dir;
  const auto ab = ablation_of(8);
  std::vector<pid_t> children;
  for (std::size_t mine = 0; mine < ab.runs.size(); ++mine) {
    const pid_t pid = fork();
    if (pid == 0) {
      std::vector<train::RunOutcome> outcomes(ab.runs.size());
      std::vector<bool> owned(ab.runs.size(), false);
      owned[mine] = true;
      for (int step = 1; step <= 25; ++step) {
        outcomes[mine] = {step == 25 ? "finished" : "stopped", 0.5, step, 1.0 / step, 2.0 / step};
        train::update_ablation_list(dir.path(), ab, outcomes, owned);
      }
      _exit(0);
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  const auto list = list_in(dir);
  ASSERT_EQ(list.size(), 8u);
  for (std::size_t i = 0; i < list.size(); ++i) {
    EXPECT_EQ(list[i].at("run"), ab.runs[i].name);
    EXPECT_EQ(list[i].at("status"), "finished") << list[i].dump();
    EXPECT_EQ(list[i].at("step"), 25);
    EXPECT_EQ(list[i].at("loss"), 1.0 / 25);
  }
}

// A run the writer does not own keeps what the file said of it; one the file does not name is
// pending; a list that is not JSON counts as empty.
TEST(AblationList, KeepsOtherRunsAndStartsOverFromADamagedList) {
  TempDir dir;
  const auto ab = ablation_of(3);
  std::vector<train::RunOutcome> outcomes(3);
  outcomes[0] = {"failed", 1.5, 4, 3.0, 3.5};
  train::update_ablation_list(dir.path(), ab, outcomes, {true, false, false});
  outcomes[0] = {};  // what another shard would hold of run 0: nothing
  outcomes[2] = {"finished", 2.0, 10, 1.0, 1.25};
  train::update_ablation_list(dir.path(), ab, outcomes, {false, false, true});
  auto list = list_in(dir);
  EXPECT_EQ(list[0].at("status"), "failed");
  EXPECT_EQ(list[0].at("step"), 4);
  EXPECT_EQ(list[0].at("minutes"), 1.5);
  EXPECT_EQ(list[1].at("status"), "pending");
  EXPECT_EQ(list[2].at("status"), "finished");
  EXPECT_EQ(list[2].at("val_loss"), 1.25);
  EXPECT_EQ(list[2].at("steps"), 10);
  EXPECT_EQ(list[2].at("overrides"), nlohmann::json::array({"seed=0"}));

  write_file(dir / "ablation.json", "[{\"run\": \"v0-s0\", \"status\": \"fail");
  train::update_ablation_list(dir.path(), ab, outcomes, {false, true, false});
  list = list_in(dir);
  EXPECT_EQ(list[0].at("status"), "pending");
  EXPECT_EQ(list[1].at("status"), "pending");
  EXPECT_EQ(list[2].at("status"), "pending");
}

}  // namespace
}  // namespace sinklab::testing
