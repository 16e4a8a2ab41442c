#pragma once
#include "engine/rng.h"
#include "nn/module.h"

namespace sinklab::nn {

// y = x W^T + b with W stored (out, in), as in PyTorch, so checkpoints load there unchanged.
class Linear : public Module {
 public:
  Linear(std::int64_t in, std::int64_t out, bool bias, double init_std, Rng& rng);
  Tensor forward(const Tensor& x) const;  // (..., in) -> (..., out)

  Tensor weight, bias;  // bias undefined when off
};

}  // namespace sinklab::nn
