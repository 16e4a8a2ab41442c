#pragma once
// optim.* in configs: the learning-rate schedule, AdamW and gradient clipping.
#include <cstdint>

#include "io/config_section.h"
#include "optim/adamw.h"

namespace sinklab::optim {

struct OptimConfig {
  double lr = 3e-3, min_lr = 3e-4;
  std::int64_t warmup = 100;
  std::int64_t decay_steps = 0;  // where the cosine reaches min_lr; 0 = train.steps
  AdamWConfig adamw;
  double clip = 1.0;  // global gradient-norm clip; 0 turns it off
};

// The optim.* keys, their docs and rules.
const config::Section<OptimConfig>& optim_section();

}  // namespace sinklab::optim

namespace sinklab::config {
template <>
struct EnumNames<optim::DecayPolicy> {
  static constexpr std::array<std::pair<const char*, optim::DecayPolicy>, 3> values{
      {{"matrices", optim::DecayPolicy::matrices}, {"all", optim::DecayPolicy::all}, {"none", optim::DecayPolicy::none}}};
};
}  // namespace sinklab::config
