#pragma once
#include "nn/model_config.h"
#include "nn/module.h"

namespace sinklab::nn {

// LayerNorm (weight, and bias when the model has biases) or RMSNorm (weight), over the last axis.
class Norm : public Module {
 public:
  Norm(NormKind kind, std::int64_t dim, bool bias, double eps);
  Tensor forward(const Tensor& x) const;

  Tensor weight, bias;

 private:
  NormKind kind_;
  double eps_;
};

}  // namespace sinklab::nn
