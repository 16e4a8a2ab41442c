#include "nn/attention.h"

#include <cmath>

#include "ops/ops.h"

namespace sinklab::nn {

Attention::Attention(const ModelConfig& c, Rng& rng)
    : wq(c.d_model, c.d_model, c.bias, c.init_std, rng),
      wk(c.d_model, c.d_model, c.bias, c.init_std, rng),
      wv(c.d_model, c.d_model, c.bias, c.init_std, rng),
      wo(c.d_model, c.d_model, c.bias, c.init_std / std::sqrt(2.0 * static_cast<double>(c.n_layer)), rng),
      n_head_(c.n_head),
      pos_(c.pos),
      rope_base_(c.rope_base) {
  register_module("wq", wq);
  register_module("wk", wk);
  register_module("wv", wv);
  register_module("wo", wo);
}

Tensor Attention::forward(const Tensor& x, Captures* captures, const std::string& capture_name) const {
  const std::int64_t B = x.shape()[0], T = x.shape()[1], C = x.shape()[2], D = C / n_head_;
  auto heads = [&](const Tensor& t) { return ops::permute(ops::reshape(t, {B, T, n_head_, D}), {0, 2, 1, 3}); };
  Tensor q = heads(wq.forward(x)), k = heads(wk.forward(x)), v = heads(wv.forward(x));  // (B, H, T, D)
  if (pos_ == PosKind::rope) {
    q = ops::rope(q, 0, rope_base_);
    k = ops::rope(k, 0, rope_base_);
  }
  const bool want_probs = captures != nullptr && captures->attention;
  auto result = ops::causal_attention(q, k, v, {.return_probs = want_probs});
  if (want_probs) captures->tensors[capture_name + ".probs"] = result.probs;
  Tensor y = ops::reshape(ops::permute(result.out, {0, 2, 1, 3}), {B, T, C});  // (B, T, C)
  return wo.forward(y);
}

}  // namespace sinklab::nn
