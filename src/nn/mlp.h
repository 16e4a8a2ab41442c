#pragma once
#include "engine/rng.h"
#include "nn/linear.h"
#include "nn/model_config.h"

namespace sinklab::nn {

// GELU: proj(gelu(fc(x))). SwiGLU: w2(silu(w1(x)) * w3(x)). The output projection (proj / w2)
// writes into the residual stream and gets the scaled-down init.
class Mlp : public Module {
 public:
  Mlp(const ModelConfig& config, Rng& rng);
  Tensor forward(const Tensor& x) const;

 private:
  MlpKind kind_;
  Linear in_, out_;
  std::unique_ptr<Linear> gate_;  // SwiGLU only
};

}  // namespace sinklab::nn
