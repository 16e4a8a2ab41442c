#include "optim/adamw.h"

#include <algorithm>

#include <cmath>
#include <map>

#include "engine/parallel.h"
#include "kernels/vector_math.h"

namespace sinklab::optim {

AdamW::AdamW(const nn::NamedTensors& params, const AdamWConfig& config) : config_(config) {
  for (const auto& [name, p] : params) {
    if (p.dtype() != DType::f32 || !p.is_contiguous()) fail("AdamW: parameter {} must be contiguous f32", name);
    const bool decay = config.decay == DecayPolicy::all || (config.decay == DecayPolicy::matrices && p.dim() >= 2);
    slots_.push_back({name, p, Tensor::zeros(p.shape()), Tensor::zeros(p.shape()), decay});
  }
}

void AdamW::step(double lr) {
  ++steps_;
  const double b1 = config_.beta1, b2 = config_.beta2;
  const double bias1 = 1 - std::pow(b1, static_cast<double>(steps_));
  const double bias2_sqrt = std::sqrt(1 - std::pow(b2, static_cast<double>(steps_)));
  const float step_size = static_cast<float>(lr / bias1);
  struct Live {
    float *p, *m, *v;
    const float* g;
    bool decay;
  };
  std::vector<Live> live;
  std::vector<std::int64_t> sizes;
  for (auto& s : slots_) {
    const Tensor grad = s.param.grad();  // the parameter keeps it alive
    if (!grad.defined()) continue;
    live.push_back({s.param.data<float>(), s.m.data<float>(), s.v.data<float>(), grad.data<float>(), s.decay});
    sizes.push_back(s.param.numel());
  }
  kernels::AdamWStep base{};
  base.beta1 = static_cast<float>(b1);
  base.beta2 = static_cast<float>(b2);
  base.step_size = step_size;
  base.bias2_sqrt = static_cast<float>(bias2_sqrt);
  base.eps = static_cast<float>(config_.eps);
  const auto decay_keep = static_cast<float>(1 - lr * config_.weight_decay);
  // All parameters in one parallel loop: most are too small to be worth a fork and join each.
  for_each_piece(pieces_of(sizes), [&](std::size_t, const Piece& piece) {
    const Live& t = live[piece.array];
    kernels::AdamWStep scalars = base;
    scalars.keep = t.decay ? decay_keep : 1.0f;
    const std::int64_t at = piece.start;
    kernels::adamw_update(t.p + at, t.g + at, t.m + at, t.v + at, piece.length, scalars);
  });
}

void AdamW::zero_grad() {
  for (auto& s : slots_) s.param.zero_grad();
}

nn::NamedTensors AdamW::state() const {
  nn::NamedTensors out;
  for (const auto& s : slots_) {
    out.emplace_back("m." + s.name, s.m);
    out.emplace_back("v." + s.name, s.v);
  }
  return out;
}

void AdamW::load_state(const nn::NamedTensors& state, std::int64_t steps, const std::filesystem::path& file) {
  std::map<std::string, Tensor> by_name(state.begin(), state.end());
  std::size_t used = 0;
  for (auto& s : slots_) {
    for (auto [prefix, dst] : {std::pair{"m.", &s.m}, std::pair{"v.", &s.v}}) {
      auto it = by_name.find(prefix + s.name);
      if (it == by_name.end()) fail("{}: optimizer state has no '{}{}'", file.string(), prefix, s.name);
      if (it->second.shape() != s.param.shape() || it->second.dtype() != DType::f32)
        fail("{}: optimizer state '{}{}' is {} {}, the parameter is float32 {}", file.string(), prefix, s.name,
             dtype_name(it->second.dtype()), to_string(it->second.shape()), to_string(s.param.shape()));
      copy_into(*dst, it->second);
      ++used;
    }
  }
  if (used != by_name.size())
    for (const auto& entry : by_name) {
      const std::string& name = entry.first;  // not a structured binding: clang 14 cannot capture one
      if (std::none_of(slots_.begin(), slots_.end(), [&](const auto& s) { return name == "m." + s.name || name == "v." + s.name; }))
        fail("{}: optimizer state holds '{}', which is no moment of the model's parameters", file.string(), name);
    }
  steps_ = steps;
}

}  // namespace sinklab::optim
