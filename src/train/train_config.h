#pragma once
// The whole experiment as one value, parsed from YAML by config.h.
#include <cstdint>
#include <string>

#include "analysis/analysis_config.h"
#include "data/data_config.h"
#include "nn/model_config.h"
#include "optim/optim_config.h"
#include "optim/schedule.h"
#include "train/loop_config.h"

namespace sinklab::train {

struct Config {
  data::DataConfig data;
  nn::ModelConfig model;  // vocab_size and context are filled in from data
  optim::OptimConfig optim;
  LoopConfig train;
  analysis::AnalysisConfig analysis;
  std::uint64_t seed = 0;
  std::string source;  // the file it came from

  optim::Schedule schedule() const {
    return {optim.lr, optim.min_lr, optim.warmup, optim.decay_steps > 0 ? optim.decay_steps : train.steps};
  }
};

}  // namespace sinklab::train
