#include "optim/sgd.h"

namespace sinklab::optim {

Sgd::Sgd(const nn::NamedTensors& params, const SgdConfig& config, const WeightDecay& decay)
    : Optimizer(params, config.momentum > 0 ? std::vector<std::string>{"momentum."} : std::vector<std::string>{}, decay,
                "SGD"),
      config_(config) {}

void Sgd::step(double lr) {
  ++steps_;
  const auto rate = static_cast<float>(lr), momentum = static_cast<float>(config_.momentum);
  const auto weight_decay = static_cast<float>(weight_decay_);
  for_each_gradient_piece([&](Slot& s, const float* grad, std::int64_t at, std::int64_t n) {
    float* __restrict p = s.param.data<float>() + at;
    const float* __restrict g = grad + at;
    const float decay = s.decay ? weight_decay : 0.0f;
    if (s.buffers.empty()) {
      for (std::int64_t i = 0; i < n; ++i) p[i] -= rate * (g[i] + decay * p[i]);
      return;
    }
    // A zeroed buffer makes the first step's momentum the gradient itself, as torch's clone does.
    float* __restrict b = s.buffers[0].data<float>() + at;
    for (std::int64_t i = 0; i < n; ++i) {
      b[i] = momentum * b[i] + (g[i] + decay * p[i]);
      p[i] -= rate * b[i];
    }
  });
}

}  // namespace sinklab::optim
