#pragma once
// SGD with heavy-ball momentum and L2 weight decay added to the gradient, arithmetic in the order
// of torch.optim.SGD (dampening 0, no Nesterov). Unlike AdamW's, its fixed points are the
// stationary points of loss + weight_decay / 2 * |decayed weights|^2, which is what a study of
// minimum-norm (representation-cost) solutions needs. Its state: "momentum.<param>", none when
// the momentum is 0.
#include "optim/optimizer.h"

namespace sinklab::optim {

struct SgdConfig {
  double momentum = 0.9;
};

class Sgd : public Optimizer {
 public:
  Sgd(const nn::NamedTensors& params, const SgdConfig& config, const WeightDecay& decay = {});
  void step(double lr) override;

 private:
  SgdConfig config_;
};

}  // namespace sinklab::optim
