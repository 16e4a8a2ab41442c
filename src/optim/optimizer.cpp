#include "optim/optimizer.h"

#include <algorithm>
#include <map>

namespace sinklab::optim {

Optimizer::Optimizer(const nn::NamedTensors& params, std::vector<std::string> buffer_prefixes, const WeightDecay& decay,
                     const char* what)
    : weight_decay_(decay.rate), prefixes_(std::move(buffer_prefixes)) {
  for (const auto& [name, p] : params) {
    if (p.dtype() != DType::f32 || !p.is_contiguous()) fail("{}: parameter {} must be contiguous f32", what, name);
    const bool decays = decay.policy == DecayPolicy::all || (decay.policy == DecayPolicy::matrices && p.dim() >= 2);
    std::vector<Tensor> buffers;
    for (std::size_t i = 0; i < prefixes_.size(); ++i) buffers.push_back(Tensor::zeros(p.shape()));
    slots_.push_back({name, p, std::move(buffers), decays});
  }
}

void Optimizer::zero_grad() {
  for (auto& s : slots_) s.param.zero_grad();
}

nn::NamedTensors Optimizer::state() const {
  nn::NamedTensors out;
  for (const auto& s : slots_)
    for (std::size_t i = 0; i < prefixes_.size(); ++i) out.emplace_back(prefixes_[i] + s.name, s.buffers[i]);
  return out;
}

void Optimizer::load_state(const nn::NamedTensors& state, std::int64_t steps, const std::filesystem::path& file) {
  std::map<std::string, Tensor> by_name(state.begin(), state.end());
  std::size_t used = 0;
  for (auto& s : slots_) {
    for (std::size_t i = 0; i < prefixes_.size(); ++i) {
      const std::string name = prefixes_[i] + s.name;
      auto it = by_name.find(name);
      if (it == by_name.end()) fail("{}: optimizer state has no '{}'", file.string(), name);
      if (it->second.shape() != s.param.shape() || it->second.dtype() != DType::f32)
        fail("{}: optimizer state '{}' is {} {}, the parameter is float32 {}", file.string(), name,
             dtype_name(it->second.dtype()), to_string(it->second.shape()), to_string(s.param.shape()));
      copy_into(s.buffers[i], it->second);
      ++used;
    }
  }
  if (used != by_name.size())
    for (const auto& entry : by_name) {
      const std::string& name = entry.first;  // not a structured binding: clang 14 cannot capture one
      const auto is_ours = [&](const Slot& s) {
        return std::any_of(prefixes_.begin(), prefixes_.end(), [&](const std::string& p) { return name == p + s.name; });
      };
      if (std::none_of(slots_.begin(), slots_.end(), is_ours))
        fail("{}: optimizer state holds '{}', which is no buffer of this optimizer for the model's parameters",
             file.string(), name);
    }
  steps_ = steps;
}

}  // namespace sinklab::optim
