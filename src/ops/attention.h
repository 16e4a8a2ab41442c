#pragma once
// Causal attention as one op: scores, causal mask, normalisation, weighted sum. The
// normalisation is a switch:
//   softmax:            a_ij = exp(z_ij) / sum_{k<=i} exp(z_ik)
//   softmax + sink:     a_ij = exp(z_ij) / (exp(b_h) + sum_{k<=i} exp(z_ik))   (a sink column with
//                       logit b_h and a zero value; b_h = 0 is softmax-off-by-one)
//   sigmoid:            a_ij = sigmoid(z_ij + bias), divided by its row sum when normalize is on
// with z_ij = scale * q_i . k_j and j <= i; from the second query on options.mask also hides
// j = 0 (no_first) or j = i (no_self).
#include <memory>

#include "engine/tensor.h"

namespace sinklab::ops {

enum class AttentionKind { softmax, sigmoid };
// Keys a query sees besides the causal limit: all of 0..i, all but key 0, or all but itself (from
// the second query on; the first keeps its one key). Probes of where a head parks its queries.
enum class KeyMask { causal, no_first, no_self };

struct AttentionOptions {
  AttentionKind kind = AttentionKind::softmax;
  double scale = 0;           // 0 means 1/sqrt(d_head)
  bool normalize = false;     // sigmoid only: divide each row by its sum
  double sigmoid_bias = 0;    // sigmoid only: b in sigmoid(z + b)
  KeyMask mask = KeyMask::causal;  // keys hidden besides the causal limit
  bool return_maps = false;  // hand back the attention maps (for analysis, no gradient)
};

// The attention weights of one forward pass, one T x T map per (sequence, head) pair, recomputed
// on demand from Q, K and the forward's row statistics: holding them costs no T x T memory, so
// the analysis probe can take them one head at a time at long context.
class AttentionMaps {
 public:
  struct State;  // Q, K, the row statistics and the options (ops/attention.cpp)
  AttentionMaps() = default;
  explicit AttentionMaps(std::shared_ptr<const State> state) : state_(std::move(state)) {}
  bool defined() const { return state_ != nullptr; }
  std::int64_t pairs() const;      // sequences x heads, heads innermost
  std::int64_t positions() const;  // T
  // Pair i's map, T x T into `into`: row r holds the weights of the keys query r sees, zeros
  // elsewhere. S is the forward's dtype. Safe to call from several threads.
  template <class S>
  void fill(std::int64_t pair, S* into) const;
  Tensor all() const;  // every pair's map: (..., H, T, T)

 private:
  std::shared_ptr<const State> state_;
};

// Keys are read in tiles of this many (one tile's scores per 64 queries stay in cache).
inline constexpr std::int64_t attention_key_tile = 512;

struct AttentionResult {
  Tensor out;          // (..., H, T, d_head)
  AttentionMaps maps;  // when asked for
};

// q, k, v: (..., H, T, d_head) with equal shapes, e.g. (B, H, T, d_head). sink_logits: optional
// (H,) logits of a zero-value sink column (softmax only); differentiable.
// Inputs with unit-stride rows whose leading dims (before H) walk as one stride are read in place
// (others are copied), so per-head views of (B, T, H, d_head) projections
// (permute(reshape(x W^T, (B, T, H, d)), (0, 2, 1, 3))) need no copy; the output and the gradients
// of q, k, v are such views too, over (..., T, H, d_head) buffers. Each (sequence, head) pair runs
// on one thread, 64 queries at a time, skipping the keys after a block's last query.
AttentionResult causal_attention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionOptions& options = {},
                                 const Tensor& sink_logits = Tensor());

// The same with q, k, v packed in one (..., T, 3, H, d_head) tensor, as one projection to 3·d_model
// features makes them: q = qkv[..., 0, :, :] and so on, per head. Its gradient is one tensor of
// that shape, so the projection's backward is one product.
AttentionResult causal_attention_packed(const Tensor& qkv, const AttentionOptions& options = {},
                                        const Tensor& sink_logits = Tensor());

}  // namespace sinklab::ops
