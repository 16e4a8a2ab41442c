#pragma once
// train.* in configs: how long to train, on how much per step, and how often to evaluate,
// checkpoint and report.
#include <cstdint>

#include "io/config_section.h"

namespace sinklab::train {

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

// The train.* keys, their docs and rules.
const config::Section<LoopConfig>& loop_section();

}  // namespace sinklab::train
