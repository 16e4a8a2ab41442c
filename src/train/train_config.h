#pragma once
// The whole experiment as one value, parsed from YAML by config.h.
#include <cstdint>
#include <string>

#include "analysis/analysis_config.h"
#include "data/data_config.h"
#include "nn/model_config.h"
#include "optim/adamw.h"
#include "optim/schedule.h"

namespace sinklab::train {

struct OptimConfig {
  double lr = 3e-3, min_lr = 3e-4;
  std::int64_t warmup = 100;
  optim::AdamWConfig adamw;
  double clip = 1.0;  // global gradient-norm clip; 0 turns it off
};

struct LoopConfig {
  std::int64_t steps = 1000;
  std::int64_t batch_size = 16;
  std::int64_t grad_accum = 1;
  std::int64_t eval_every = 100;   // 0: only at the end
  std::int64_t eval_batches = 8;
  std::int64_t checkpoint_every = 250;  // 0: only at the end
  std::int64_t keep_checkpoints = 2;
  std::int64_t threads = 0;  // 0: all cores
  std::int64_t log_every = 10;  // plain progress lines when stdout is not a terminal
};

struct Config {
  data::DataConfig data;
  nn::ModelConfig model;  // vocab_size and context are filled in from data
  OptimConfig optim;
  LoopConfig train;
  analysis::AnalysisConfig analysis;
  std::uint64_t seed = 0;
  std::string source;  // the file it came from

  optim::Schedule schedule() const { return {optim.lr, optim.min_lr, optim.warmup, train.steps}; }
};

}  // namespace sinklab::train
