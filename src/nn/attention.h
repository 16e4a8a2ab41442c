#pragma once
// Causal multi-head self-attention: the one attention class. Variants are switches here
// (ModelConfig::attention), never copies:
//   gate        Y' = Y * sigmoid(X W_g + b_g) on each head's output before wo (Qiu et al. 2025, G1);
//               elementwise: H*d_head gates, headwise: H gates broadcast over the head's channels.
//               W_g ~ N(0, init_std), b_g = 0, so every gate starts near 0.5.
//   sink_logit  learned: a per-head logit b_h (init 0) of an extra zero-value score column;
//               zero: b_h fixed at 0 (softmax-off-by-one).
//   kind        sigmoid attention, optionally row-normalised.
//   qk_norm     RMSNorm (learned weight of size d_head, shared by heads) on q and k.
//   mask        no_first / no_self: hide key 0 or the query's own key (ops::KeyMask).
// Grouped-query attention (ModelConfig::n_kv_head): wk and wv project to kv_heads() heads, each
// repeated for the n_head / kv_heads() consecutive query heads it serves.
// Registers live in the Transformer: they are extra positions, not an attention change.
#include <memory>
#include <string>

#include "engine/rng.h"
#include "nn/attention_edit.h"
#include "nn/captures.h"
#include "nn/linear.h"
#include "nn/model_config.h"
#include "nn/norm.h"
#include "ops/attention.h"

namespace sinklab::nn {

class Attention : public Module {
 public:
  Attention(const ModelConfig& config, Rng& rng);
  // x: (B, T, d_model), already normalised. `capture_name` prefixes the capture points:
  // maps "<name>" (ops::AttentionMaps) and, with a gate, "<name>.gate" (B, T, gates).
  Tensor forward(const Tensor& x, Captures* captures, const std::string& capture_name) const;
  // The keys its queries see: the config's mask, or no_first while an edit hides the first position.
  ops::KeyMask key_mask() const { return edit.mask_first ? ops::KeyMask::no_first : variant_.mask; }

  Linear wq, wk, wv, wo;                   // wk, wv: (kv_heads * d_head, d_model)
  std::unique_ptr<Linear> wg;              // gate
  std::unique_ptr<Norm> q_norm, k_norm;    // qk_norm
  Tensor sink_logit;                       // (H,) learned, or constant zeros
  AttentionEdit edit;                      // sinklab intervene only; empty in training

 private:
  // q, k and v as the attention op reads them: `packed` (B, T, 3, H, d_head) from one product when
  // nothing acts on q and k in between and every query head has its own kv head, else q, k, v
  // (B, H, T, d_head), q and k after qk-norm and RoPE, k and v repeated over their query heads.
  // Only the projection knows the layout; the variants act on the op's options and output.
  struct Heads {
    Tensor packed, q, k, v;
  };
  Heads project(const Tensor& x) const;
  // The edit's changes to q and v (q, k, v unpacked when they came packed); key_mask() has its mask.
  Heads apply_edit(Heads heads, std::int64_t B, std::int64_t T) const;
  Tensor head_mask(const std::vector<std::int64_t>& heads, std::vector<std::int64_t> shape) const;

  std::int64_t n_head_, kv_heads_;
  PosKind pos_;
  double rope_base_;
  AttentionConfig variant_;
};

}  // namespace sinklab::nn
