#include "optim/adamw.h"

#include <cmath>

#include "kernels/vector_math.h"

namespace sinklab::optim {

AdamW::AdamW(const nn::NamedTensors& params, const AdamWConfig& config, const WeightDecay& decay)
    : Optimizer(params, {"m.", "v."}, decay, "AdamW"), config_(config) {}

void AdamW::step(double lr) {
  ++steps_;
  const double b1 = config_.beta1, b2 = config_.beta2;
  const double bias1 = 1 - std::pow(b1, static_cast<double>(steps_));
  const double bias2_sqrt = std::sqrt(1 - std::pow(b2, static_cast<double>(steps_)));
  const float step_size = static_cast<float>(lr / bias1);
  kernels::AdamWStep base{};
  base.beta1 = static_cast<float>(b1);
  base.beta2 = static_cast<float>(b2);
  base.step_size = step_size;
  base.bias2_sqrt = static_cast<float>(bias2_sqrt);
  base.eps = static_cast<float>(config_.eps);
  const auto decay_keep = static_cast<float>(1 - lr * weight_decay_);
  for_each_gradient_piece([&](Slot& s, const float* g, std::int64_t at, std::int64_t n) {
    kernels::AdamWStep scalars = base;
    scalars.keep = s.decay ? decay_keep : 1.0f;
    kernels::adamw_update(s.param.data<float>() + at, g + at, s.buffers[0].data<float>() + at, s.buffers[1].data<float>() + at, n,
                          scalars);
  });
}

}  // namespace sinklab::optim
