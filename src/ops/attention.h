#pragma once
// Causal scaled-dot-product attention as one op: scores, causal mask, softmax, weighted sum.
#include "engine/tensor.h"

namespace sinklab::ops {

struct AttentionOptions {
  double scale = 0;           // 0 means 1/sqrt(d_head)
  bool return_probs = false;  // hand back the attention probabilities (for analysis, no gradient)
};

struct AttentionResult {
  Tensor out;    // (..., T, d_head)
  Tensor probs;  // (..., T, T) when asked for, else undefined
};

// q, k, v: (..., T, d_head) with equal shapes, e.g. (B, H, T, d_head).
AttentionResult causal_attention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionOptions& options = {});

}  // namespace sinklab::ops
