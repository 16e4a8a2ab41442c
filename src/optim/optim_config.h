#pragma once
// optim.* in configs: the learning-rate schedule, the optimizer (AdamW or SGD), weight decay and
// gradient clipping.
#include <cstdint>
#include <memory>

#include "io/config_section.h"
#include "optim/adamw.h"
#include "optim/sgd.h"

namespace sinklab::optim {

enum class Algorithm { adamw, sgd };

struct OptimConfig {
  Algorithm name = Algorithm::adamw;
  double lr = 3e-3, min_lr = 3e-4;
  std::int64_t warmup = 100;
  std::int64_t decay_steps = 0;  // where the cosine reaches min_lr; 0 = train.steps
  AdamWConfig adamw;
  SgdConfig sgd;
  WeightDecay weight_decay;
  double clip = 1.0;  // global gradient-norm clip; 0 turns it off
};

// The optim.* keys, their docs and rules.
const config::Section<OptimConfig>& optim_section();

// The optimizer `config` names, over `params`.
std::unique_ptr<Optimizer> make_optimizer(const nn::NamedTensors& params, const OptimConfig& config);

// How many tensors of each parameter's size the optimizer keeps (for memory estimates).
int state_buffers(const OptimConfig& config);

}  // namespace sinklab::optim

namespace sinklab::config {
template <>
struct EnumNames<optim::Algorithm> {
  static constexpr std::array<std::pair<const char*, optim::Algorithm>, 2> values{
      {{"adamw", optim::Algorithm::adamw}, {"sgd", optim::Algorithm::sgd}}};
};
template <>
struct EnumNames<optim::DecayPolicy> {
  static constexpr std::array<std::pair<const char*, optim::DecayPolicy>, 3> values{
      {{"matrices", optim::DecayPolicy::matrices}, {"all", optim::DecayPolicy::all}, {"none", optim::DecayPolicy::none}}};
};
}  // namespace sinklab::config
