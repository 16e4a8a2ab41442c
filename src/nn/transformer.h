#pragma once
// The decoder: token (+ learned position) embedding, n_layer pre-norm blocks, final norm, output
// head (tied to the token embedding unless configured otherwise).
//
// Parameter names: tok_emb.weight (V, d), pos_emb.weight (context, d) [pos: learned],
// blocks.<l>.{norm1,norm2}.{weight,bias}, blocks.<l>.attn.{wq,wk,wv,wo}.{weight,bias},
// blocks.<l>.mlp.{fc,proj}.* [gelu] or blocks.<l>.mlp.{w1,w2,w3}.* [swiglu],
// norm_f.{weight,bias}, lm_head.weight (V, d) [untied], registers (R, d) [registers],
// blocks.<l>.attn.wg.{weight,bias} [gate], blocks.<l>.attn.sink_logit (H) [learned sink logit],
// blocks.<l>.attn.{q_norm,k_norm}.weight [qk_norm]. Linear weights are (out, in); attn.wk and
// attn.wv are (kv_heads * d_head, d), fewer than d rows under grouped-query attention [n_kv_head].
//
// Registers: R learned vectors ~ N(0, init_std) placed before the tokens, at positions 0..R-1 of
// every sequence; tokens then sit at positions R..R+T-1 for RoPE and learned positions alike
// (the position table has context + R rows). They take no loss: their outputs are dropped
// before the head.
//
// Init: every weight matrix and embedding ~ N(0, init_std = 0.02); the projections that write
// into the residual stream (attn.wo, mlp.proj / mlp.w2) ~ N(0, 0.02 / sqrt(2 n_layer)) (GPT-2);
// biases 0; norm weights 1.
#include <memory>
#include <vector>

#include "nn/block.h"
#include "nn/captures.h"
#include "nn/embedding.h"

namespace sinklab::nn {

class Transformer : public Module {
 public:
  Transformer(const ModelConfig& config, std::uint64_t seed);
  // ids: (B, T) i32 with T <= context -> logits (B, T, vocab_size) (register positions dropped)
  Tensor forward(const Tensor& ids, Captures* captures = nullptr) const;
  // The mean next-token loss of ids against targets (B, T) i32 (ignore_index skipped), equal to
  // cross_entropy(forward(ids), targets) but without materialising the logits.
  Tensor loss(const Tensor& ids, const Tensor& targets, std::int32_t ignore_index) const;
  // Everything before the head: the final norm's output (B, T, d) (register positions dropped),
  // for callers that want the captures and not the (B, T, vocab_size) logits.
  Tensor hidden(const Tensor& ids, Captures* captures = nullptr) const;
  const ModelConfig& config() const { return config_; }
  // Inference-time edits of a layer's attention (sinklab intervene); an empty edit undoes them.
  void edit_attention(std::int64_t layer, AttentionEdit edit);
  // The keys a layer's queries see, edits included.
  ops::KeyMask key_mask(std::int64_t layer) const;

 private:
  // Registers its entries as "0", "1", ... so block parameters read "blocks.<l>.".
  struct Blocks : Module {
    std::vector<std::unique_ptr<Block>> items;
    void add(std::unique_ptr<Block> b) {
      register_module(std::to_string(items.size()), *b);
      items.push_back(std::move(b));
    }
  };

  const Tensor& head_weight() const;  // (V, d)

  ModelConfig config_;
  std::unique_ptr<Embedding> tok_emb_, pos_emb_;
  Blocks blocks_;
  std::unique_ptr<Norm> norm_f_;
  std::unique_ptr<Linear> lm_head_;  // untied only
  Tensor registers_;                 // (R, d_model)
};

}  // namespace sinklab::nn
