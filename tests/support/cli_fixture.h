#pragma once
// A temporary folder holding a tiny text data set and tiny.yaml, a config that trains on it in
// about a second: the setting of the tests that run the sinklab binary as a user would.
// SINKLAB_DATA_DIR and SINKLAB_RUNS_DIR point into the folder, so nothing lands elsewhere.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/cli_runner.h"
#include "support/temp_dir.h"
#include "train/metrics.h"

namespace sinklab::testing {

class CliFixture : public ::testing::Test {
 protected:
  void SetUp() override;

  CliResult run(const std::string& args) { return run_sinklab(args, dir.path()); }

  // Every file of a folder with its bytes: a folder is unchanged when its snapshot is. The lock
  // file is left out: it holds the PID of whichever process locked the run last.
  static std::map<std::string, std::string> snapshot(const std::filesystem::path& folder);

  // metrics.jsonl of runs/<run>.
  std::vector<train::StepMetrics> metrics(const std::string& run);

  TempDir dir;
};

}  // namespace sinklab::testing
