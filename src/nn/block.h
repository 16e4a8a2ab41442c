#pragma once
#include "nn/attention.h"
#include "nn/mlp.h"
#include "nn/norm.h"

namespace sinklab::nn {

// Pre-norm residual block: x + attn(norm1(x)), then + mlp(norm2(.)).
class Block : public Module {
 public:
  Block(const ModelConfig& config, Rng& rng);
  Tensor forward(const Tensor& x, Captures* captures, const std::string& name) const;

  Norm norm1;
  Attention attn;
  Norm norm2;
  Mlp mlp;
};

}  // namespace sinklab::nn
