#include "nn/mlp.h"

#include <cmath>

#include "ops/ops.h"

namespace sinklab::nn {
Mlp::Mlp(const ModelConfig& c, Rng& rng)
    : kind_(c.mlp),
      in_(c.d_model, c.d_ff, c.bias, c.init_std, rng),
      out_(c.d_ff, c.d_model, c.bias, c.residual_init_std(), rng) {
  if (kind_ == MlpKind::gelu) {
    register_module("fc", in_);
    register_module("proj", out_);
  } else {
    gate_ = std::make_unique<Linear>(c.d_model, c.d_ff, c.bias, c.init_std, rng);
    register_module("w1", *gate_);  // gate
    register_module("w2", out_);    // down
    register_module("w3", in_);     // up
  }
}

Tensor Mlp::forward(const Tensor& x) const {
  if (kind_ == MlpKind::gelu) return out_.forward(ops::gelu(in_.forward(x)));
  return out_.forward(ops::silu(gate_->forward(x)) * in_.forward(x));
}

}  // namespace sinklab::nn
