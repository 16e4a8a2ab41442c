#include "nn/attention.h"

#include <cmath>

#include "ops/ops.h"

namespace sinklab::nn {

Attention::Attention(const ModelConfig& c, Rng& rng)
    : wq(c.d_model, c.d_model, c.bias, c.init_std, rng),
      wk(c.d_model, c.kv_heads() * c.d_head(), c.bias, c.init_std, rng),
      wv(c.d_model, c.kv_heads() * c.d_head(), c.bias, c.init_std, rng),
      wo(c.d_model, c.d_model, c.bias, c.residual_init_std(), rng),
      n_head_(c.n_head),
      kv_heads_(c.kv_heads()),
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

Attention::Heads Attention::project(const Tensor& x) const {
  const std::int64_t B = x.shape()[0], T = x.shape()[1], C = x.shape()[2], H = n_head_, D = C / H, Hkv = kv_heads_;
  Heads heads;
  if (!q_norm && pos_ != PosKind::rope && Hkv == H) {
    // Nothing acts on q and k before attention: one projection to q, k, v (one product each way
    // instead of three, and no sum of three input gradients), same weights.
    const Tensor w = ops::concat({wq.weight, wk.weight, wv.weight}, 0);
    const Tensor b = wq.bias.defined() ? ops::concat({wq.bias, wk.bias, wv.bias}, 0) : Tensor();
    heads.packed = ops::reshape(ops::linear(x, w, b), {B, T, 3, H, D});
    return heads;
  }
  auto split = [&](const Tensor& t, std::int64_t n) { return ops::permute(ops::reshape(t, {B, T, n, D}), {0, 2, 1, 3}); };
  heads.q = split(wq.forward(x), H), heads.k = split(wk.forward(x), Hkv), heads.v = split(wv.forward(x), Hkv);
  if (q_norm) {
    heads.q = q_norm->forward(heads.q);
    heads.k = k_norm->forward(heads.k);
  }
  if (pos_ == PosKind::rope) {
    heads.q = ops::rope(heads.q, 0, rope_base_);
    heads.k = ops::rope(heads.k, 0, rope_base_);
  }
  if (Hkv != H) {
    // Grouped-query attention: kv head j serves query heads j*G .. j*G+G-1 (Hugging Face's
    // repeat_kv); expand's backward sums each group's gradients into its kv head.
    const std::int64_t G = H / Hkv;
    auto repeat = [&](const Tensor& t) {  // (B, Hkv, T, D) -> (B, H, T, D)
      return ops::reshape(ops::expand(ops::reshape(t, {B, Hkv, 1, T, D}), {B, Hkv, G, T, D}), {B, H, T, D});
    };
    heads.k = repeat(heads.k), heads.v = repeat(heads.v);
  }
  return heads;
}

// A 0/1 tensor of `shape` (one axis of size H) with 0 at the listed heads.
Tensor Attention::head_mask(const std::vector<std::int64_t>& heads, std::vector<std::int64_t> shape) const {
  std::vector<float> keep(static_cast<std::size_t>(n_head_), 1.0f);
  for (std::int64_t h : heads) keep.at(static_cast<std::size_t>(h)) = 0.0f;
  return Tensor::from_vector(keep, std::move(shape));
}

Attention::Heads Attention::apply_edit(Heads heads, std::int64_t B, std::int64_t T) const {
  const std::int64_t H = n_head_;
  if (heads.packed.defined()) {  // the edits act on q and v apart
    const std::int64_t D = heads.packed.shape()[4];
    auto part = [&](std::int64_t i) { return ops::contiguous(ops::permute(ops::reshape(ops::slice(heads.packed, 2, i, i + 1), {B, T, H, D}), {0, 2, 1, 3})); };
    heads.q = part(0), heads.k = part(1), heads.v = part(2);
    heads.packed = Tensor();
  }
  if (edit.zero_first_value) {
    std::vector<float> keep(static_cast<std::size_t>(T), 1.0f);
    keep[0] = 0.0f;
    heads.v = heads.v * Tensor::from_vector(keep, {1, 1, T, 1});
  }
  if (!edit.uniform_heads.empty()) heads.q = heads.q * head_mask(edit.uniform_heads, {1, H, 1, 1});
  return heads;
}

Tensor Attention::forward(const Tensor& x, Captures* captures, const std::string& capture_name) const {
  const std::int64_t B = x.shape()[0], T = x.shape()[1], C = x.shape()[2], H = n_head_, D = C / H;
  const bool want_maps = captures != nullptr && captures->attention;
  // Every variant of the attention itself is here, once, whatever the projection's layout.
  ops::AttentionOptions options{
      .kind = variant_.kind == AttentionKind::sigmoid ? ops::AttentionKind::sigmoid : ops::AttentionKind::softmax,
      .normalize = variant_.normalize,
      .sigmoid_bias = variant_.sigmoid_bias,
      .mask = key_mask(),
      .return_maps = want_maps};
  Heads heads = project(x);
  if (!edit.empty()) heads = apply_edit(heads, B, T);
  const ops::AttentionResult result = heads.packed.defined()
                                          ? ops::causal_attention_packed(heads.packed, options, sink_logit)
                                          : ops::causal_attention(heads.q, heads.k, heads.v, options, sink_logit);
  if (want_maps) captures->maps[capture_name] = result.maps;
  if (captures != nullptr && captures->values) {
    const Tensor v = heads.packed.defined() ? ops::permute(ops::reshape(ops::slice(heads.packed, 2, 2, 3), {B, T, H, D}), {0, 2, 1, 3})
                                            : heads.v;
    captures->tensors[capture_name + ".v"] = ops::contiguous(v).detach();
    captures->tensors[capture_name + ".mixed"] = ops::contiguous(result.out).detach();
  }
  Tensor y = ops::permute(result.out, {0, 2, 1, 3});  // (B, T, H, D)
  if (wg) {
    // The gate reads the same normalised input as q, k, v: it depends on the query token.
    Tensor gate = ops::sigmoid(wg->forward(x));  // (B, T, H*D) or (B, T, H)
    if (captures != nullptr && captures->attention) captures->tensors[capture_name + ".gate"] = gate.detach();
    y = y * ops::reshape(gate, {B, T, H, variant_.gate == GateKind::elementwise ? D : 1});
  }
  if (!edit.ablate_heads.empty()) y = y * head_mask(edit.ablate_heads, {1, 1, H, 1});
  return wo.forward(ops::reshape(y, {B, T, C}));
}

}  // namespace sinklab::nn
