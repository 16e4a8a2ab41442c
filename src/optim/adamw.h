#pragma once
// AdamW with decoupled weight decay, arithmetic in the order of torch.optim.AdamW (so runs match
// PyTorch step for step). Its state: "m.<param>" and "v.<param>".
#include "optim/optimizer.h"

namespace sinklab::optim {

struct AdamWConfig {
  double beta1 = 0.9, beta2 = 0.95, eps = 1e-8;
};

class AdamW : public Optimizer {
 public:
  AdamW(const nn::NamedTensors& params, const AdamWConfig& config, const WeightDecay& decay = {});
  void step(double lr) override;

 private:
  AdamWConfig config_;
};

}  // namespace sinklab::optim
