#include "nn/attention.h"

#include <cmath>

#include "ops/ops.h"

namespace sinklab::nn {

Attention::Attention(const ModelConfig& c, Rng& rng)
    : wq(c.d_model, c.d_model, c.bias, c.init_std, rng),
      wk(c.d_model, c.d_model, c.bias, c.init_std, rng),
      wv(c.d_model, c.d_model, c.bias, c.init_std, rng),
      wo(c.d_model, c.d_model, c.bias, c.residual_init_std(), rng),
      n_head_(c.n_head),
      pos_(c.pos),
      rope_base_(c.rope_base),
      variant_(c.attention) {
  register_module("wq", wq);
  register_module("wk", wk);
  register_module("wv", wv);
  register_module("wo", wo);
  if (variant_.gate != GateKind::none) {
    const std::int64_t gates = variant_.gate == GateKind::elementwise ? c.d_model : c.n_head;
    wg = std::make_unique<Linear>(c.d_model, gates, true, c.init_std, rng);
    register_module("wg", *wg);
  }
  if (variant_.qk_norm) {
    q_norm = std::make_unique<Norm>(NormKind::rmsnorm, c.d_head(), false, c.norm_eps);
    k_norm = std::make_unique<Norm>(NormKind::rmsnorm, c.d_head(), false, c.norm_eps);
    register_module("q_norm", *q_norm);
    register_module("k_norm", *k_norm);
  }
  if (variant_.sink_logit == SinkLogit::learned) sink_logit = register_parameter("sink_logit", Tensor::zeros({c.n_head}));
  if (variant_.sink_logit == SinkLogit::zero) sink_logit = Tensor::zeros({c.n_head});
}

Tensor Attention::forward(const Tensor& x, Captures* captures, const std::string& capture_name) const {
  const std::int64_t B = x.shape()[0], T = x.shape()[1], C = x.shape()[2], H = n_head_, D = C / H;
  const bool want_probs = captures != nullptr && captures->attention;
  const ops::AttentionOptions options{
      .kind = variant_.kind == AttentionKind::sigmoid ? ops::AttentionKind::sigmoid : ops::AttentionKind::softmax,
      .normalize = variant_.normalize,
      .sigmoid_bias = variant_.sigmoid_bias,
      .return_probs = want_probs};
  ops::AttentionResult result;
  Tensor v;  // (B, H, T, D)
  if (!q_norm && pos_ != PosKind::rope) {
    // Nothing acts on q and k before attention: one projection to q, k, v (one product each way
    // instead of three, and no sum of three input gradients), same weights.
    const Tensor w = ops::concat({wq.weight, wk.weight, wv.weight}, 0);
    const Tensor b = wq.bias.defined() ? ops::concat({wq.bias, wk.bias, wv.bias}, 0) : Tensor();
    const Tensor qkv = ops::reshape(ops::linear(x, w, b), {B, T, 3, H, D});
    result = ops::causal_attention_packed(qkv, options, sink_logit);
    if (captures != nullptr && captures->values) v = ops::permute(ops::reshape(ops::slice(qkv, 2, 2, 3), {B, T, H, D}), {0, 2, 1, 3});
  } else {
    auto heads = [&](const Tensor& t) { return ops::permute(ops::reshape(t, {B, T, H, D}), {0, 2, 1, 3}); };
    Tensor q = heads(wq.forward(x)), k = heads(wk.forward(x));
    v = heads(wv.forward(x));
    if (q_norm) {
      q = q_norm->forward(q);
      k = k_norm->forward(k);
    }
    if (pos_ == PosKind::rope) {
      q = ops::rope(q, 0, rope_base_);
      k = ops::rope(k, 0, rope_base_);
    }
    result = ops::causal_attention(q, k, v, options, sink_logit);
  }
  if (want_probs) captures->tensors[capture_name + ".probs"] = result.probs;
  if (captures != nullptr && captures->values) captures->tensors[capture_name + ".v"] = ops::contiguous(v).detach();
  Tensor y = ops::permute(result.out, {0, 2, 1, 3});  // (B, T, H, D)
  if (wg) {
    // The gate reads the same normalised input as q, k, v: it depends on the query token.
    Tensor gate = ops::sigmoid(wg->forward(x));  // (B, T, H*D) or (B, T, H)
    if (captures != nullptr && captures->attention) captures->tensors[capture_name + ".gate"] = gate.detach();
    y = y * ops::reshape(gate, {B, T, H, variant_.gate == GateKind::elementwise ? D : 1});
  }
  return wo.forward(ops::reshape(y, {B, T, C}));
}

}  // namespace sinklab::nn
