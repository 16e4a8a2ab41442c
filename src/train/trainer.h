#pragma once
// `sinklab train`: one run from a config into runs/<name>/ — resolved config, metrics, log,
// checkpoints — resumable bit for bit.
#include <filesystem>
#include <string>
#include <vector>

namespace sinklab::dist {
class ProcessGroup;
}

namespace sinklab::train {

class TrainingObserver;

struct TrainOptions {
  std::filesystem::path config_file;
  std::vector<std::string> overrides;  // --set key=value
  std::string name;                    // default: the config file's stem
  std::filesystem::path runs_dir = "runs";
  bool resume = false;
  std::int64_t stop_after = 0;  // > 0: checkpoint and stop once this step is done (train in chunks)
  TrainingObserver* observer = nullptr;  // e.g. analysis during training, run by the leader only
  // The processes training this model together (data-parallel, train/data_parallel.h); null or
  // a group of one: this process alone. Only the leader writes the run folder and prints.
  const dist::ProcessGroup* processes = nullptr;
};

struct TrainResult {
  std::filesystem::path run_dir;
  std::int64_t step = 0;
  bool interrupted = false;  // Ctrl-C: the step finished and a checkpoint was written
  bool finished = false;     // reached train.steps
};

TrainResult run_training(const TrainOptions& options);

}  // namespace sinklab::train
