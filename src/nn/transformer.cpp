#include "nn/transformer.h"

#include "ops/ops.h"

namespace sinklab::nn {

Transformer::Transformer(const ModelConfig& c, std::uint64_t seed) : config_(c) {
  if (c.n_head <= 0 || c.d_model % c.n_head != 0)
    fail("Transformer: d_model {} is not divisible by n_head {}", c.d_model, c.n_head);
  if (c.n_kv_head < 0 || c.n_head % c.kv_heads() != 0)
    fail("Transformer: n_head {} is not divisible by n_kv_head {}", c.n_head, c.n_kv_head);
  if (c.pos == PosKind::rope && c.d_head() % 2 != 0) fail("Transformer: rope needs an even d_head, got {}", c.d_head());
  Rng rng(seed);
  tok_emb_ = std::make_unique<Embedding>(c.vocab_size, c.d_model, c.init_std, rng);
  register_module("tok_emb", *tok_emb_);
  const std::int64_t R = c.attention.registers;
  if (R < 0) fail("Transformer: registers must not be negative, got {}", R);
  if (R > 0) registers_ = register_parameter("registers", randn({R, c.d_model}, rng, c.init_std));
  if (c.pos == PosKind::learned) {
    pos_emb_ = std::make_unique<Embedding>(c.context + R, c.d_model, c.init_std, rng);
    register_module("pos_emb", *pos_emb_);
  }
  for (std::int64_t l = 0; l < c.n_layer; ++l) blocks_.add(std::make_unique<Block>(c, rng));
  register_module("blocks", blocks_);
  norm_f_ = std::make_unique<Norm>(c.norm, c.d_model, c.bias, c.norm_eps);
  register_module("norm_f", *norm_f_);
  if (!c.tie_embeddings) {
    lm_head_ = std::make_unique<Linear>(c.d_model, c.vocab_size, false, c.init_std, rng);
    register_module("lm_head", *lm_head_);
  }
}

Tensor Transformer::hidden(const Tensor& ids, Captures* captures) const {
  if (ids.dim() != 2 || ids.dtype() != DType::i32)
    fail("Transformer: ids must be (B, T) i32, got {} {}", dtype_name(ids.dtype()), to_string(ids.shape()));
  const std::int64_t B = ids.shape()[0], T = ids.shape()[1], R = config_.attention.registers;
  if (T > config_.context) fail("Transformer: sequence length {} exceeds the context {}", T, config_.context);
  Tensor x = tok_emb_->forward(ids);  // (B, T, C)
  if (R > 0) x = ops::concat({ops::expand(ops::reshape(registers_, {1, R, config_.d_model}), {B, R, config_.d_model}), x}, 1);
  if (pos_emb_) x = x + ops::slice(pos_emb_->weight, 0, 0, R + T);  // (B, R + T, C)
  for (std::size_t l = 0; l < blocks_.items.size(); ++l) x = blocks_.items[l]->forward(x, captures, "blocks." + std::to_string(l));
  if (R > 0) x = ops::slice(x, 1, R, R + T);  // registers take no loss
  return norm_f_->forward(x);
}

const Tensor& Transformer::head_weight() const { return lm_head_ ? lm_head_->weight : tok_emb_->weight; }

void Transformer::edit_attention(std::int64_t layer, AttentionEdit edit) {
  if (layer < 0 || layer >= static_cast<std::int64_t>(blocks_.items.size()))
    fail("edit_attention: layer {} is not a layer of the model (0..{})", layer, blocks_.items.size() - 1);
  for (std::int64_t h : edit.ablate_heads)
    if (h < 0 || h >= config_.n_head) fail("edit_attention: head {} is not a head of the model (0..{})", h, config_.n_head - 1);
  for (std::int64_t h : edit.uniform_heads)
    if (h < 0 || h >= config_.n_head) fail("edit_attention: head {} is not a head of the model (0..{})", h, config_.n_head - 1);
  blocks_.items[static_cast<std::size_t>(layer)]->attn.edit = std::move(edit);
}

ops::KeyMask Transformer::key_mask(std::int64_t layer) const { return blocks_.items.at(static_cast<std::size_t>(layer))->attn.key_mask(); }

Tensor Transformer::forward(const Tensor& ids, Captures* captures) const {
  return ops::linear(hidden(ids, captures), head_weight());  // (B, T, V); weight gradient (V, C), no transpose
}

Tensor Transformer::loss(const Tensor& ids, const Tensor& targets, std::int32_t ignore_index) const {
  return ops::linear_cross_entropy(hidden(ids), head_weight(), targets, ignore_index);
}

}  // namespace sinklab::nn
