#include "nn/block.h"

#include "ops/ops.h"

namespace sinklab::nn {

Block::Block(const ModelConfig& c, Rng& rng)
    : norm1(c.norm, c.d_model, c.bias, c.norm_eps),
      attn(c, rng),
      norm2(c.norm, c.d_model, c.bias, c.norm_eps),
      mlp(c, rng) {
  register_module("norm1", norm1);
  register_module("attn", attn);
  register_module("norm2", norm2);
  register_module("mlp", mlp);
}

Tensor Block::forward(const Tensor& x, Captures* captures, const std::string& name) const {
  if (captures != nullptr && captures->residual) captures->tensors[name + ".resid_pre"] = x.detach();
  const Tensor attn_in = norm1.forward(x);
  if (captures != nullptr && captures->residual) captures->tensors[name + ".attn_in"] = attn_in.detach();
  Tensor h = x + attn.forward(attn_in, captures, name + ".attn");
  Tensor out = h + mlp.forward(norm2.forward(h));
  if (captures != nullptr && captures->residual) captures->tensors[name + ".resid_post"] = out.detach();
  return out;
}

}  // namespace sinklab::nn
