#include "support/cli_fixture.h"

#include <fmt/format.h>

#include <cstdlib>

namespace sinklab::testing {

namespace fs = std::filesystem;

void CliFixture::SetUp() {
  setenv("SINKLAB_DATA_DIR", (dir / "data").c_str(), 1);
  setenv("SINKLAB_RUNS_DIR", (dir / "runs").c_str(), 1);
  std::string train, valid;
  const char* words[] = {"the", "cat", "sat", "on", "a", "mat", "and", "then", "it", "slept", "in", "sun"};
  for (int d = 0; d < 120; ++d) {
    std::string doc;
    for (int w = 0; w < 12 + d % 17; ++w) doc += std::string(words[(d * 5 + w * 7) % 12]) + " ";
    (d % 6 == 0 ? valid : train) += doc + "\n\n";
  }
  write_file(dir / "train.txt", train);
  write_file(dir / "valid.txt", valid);
  write_file(dir / "tiny.yaml",
             fmt::format("seed: 1\ndata:\n  name: text\n  path: {}\n  valid_path: {}\n  tokenizer: byte\n  context: 16\n"
                         "model:\n  d_model: 32\n  n_layer: 1\n  n_head: 2\n  d_ff: 64\n"
                         "optim:\n  lr: 0.01\n  warmup: 2\n"
                         "train:\n  steps: 8\n  batch_size: 4\n  eval_every: 4\n  eval_batches: 2\n  checkpoint_every: 4\n"
                         "  threads: 1\n  log_every: 1\n",
                         (dir / "train.txt").string(), (dir / "valid.txt").string()));
}

std::map<std::string, std::string> CliFixture::snapshot(const fs::path& folder) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(folder))
    if (e.is_regular_file() && e.path().filename() != ".lock") files[fs::relative(e.path(), folder).string()] = read_file(e.path());
  return files;
}

std::vector<train::StepMetrics> CliFixture::metrics(const std::string& run) {
  return train::read_metrics(dir / "runs" / run / "metrics.jsonl");
}

}  // namespace sinklab::testing
