#pragma once
// AdamW with decoupled weight decay, arithmetic in the order of torch.optim.AdamW (so runs match
// PyTorch step for step). Which parameters decay is a policy: nanoGPT decays matrices only
// (every tensor of rank >= 2, embeddings included), Gu et al. decay everything.
#include <filesystem>
#include <string>
#include <vector>

#include "nn/module.h"

namespace sinklab::optim {

enum class DecayPolicy { matrices, all, none };

struct AdamWConfig {
  double beta1 = 0.9, beta2 = 0.95, eps = 1e-8;
  double weight_decay = 0.1;
  DecayPolicy decay = DecayPolicy::matrices;
};

class AdamW {
 public:
  AdamW(const nn::NamedTensors& params, const AdamWConfig& config);

  void step(double lr);  // reads each parameter's .grad(); a parameter without one is skipped
  void zero_grad();
  std::int64_t steps() const { return steps_; }

  // Moments for checkpoints: "m.<param>" and "v.<param>".
  nn::NamedTensors state() const;
  // `file` names the state in errors; every moment must be there, float32, of its parameter's shape.
  void load_state(const nn::NamedTensors& state, std::int64_t steps, const std::filesystem::path& file);

 private:
  struct Slot {
    std::string name;
    Tensor param, m, v;
    bool decay;
  };
  std::vector<Slot> slots_;
  AdamWConfig config_;
  std::int64_t steps_ = 0;
};

}  // namespace sinklab::optim
