#pragma once
// Named capture points: what a forward pass can hand to analysis without analysis reaching into
// modules. Filled only when asked for, always detached from the graph.
#include <map>
#include <string>

#include "engine/tensor.h"
#include "ops/attention.h"

namespace sinklab::nn {

struct Captures {
  bool attention = false;  // maps "blocks.<l>.attn": each head's attention map, on demand (ops::AttentionMaps)
  bool residual = false;   // "blocks.<l>.resid_pre", ".attn_in" (after norm1) and ".resid_post": (B, T, d_model)
  bool values = false;     // "blocks.<l>.attn.v": (B, H, T, d_head), after any qk/rope processing of q, k
                           // (one per query head: a kv head's values repeated over its group),
                           // and ".attn.mixed": (B, H, T, d_head), each head's Σ_j A_ij v_j before any gate
  std::map<std::string, Tensor> tensors;
  std::map<std::string, ops::AttentionMaps> maps;
};

}  // namespace sinklab::nn
