#pragma once
// Causal multi-head self-attention: the one attention class. Variants (gates, registers, sink
// logits, ...) are switches on this class, never copies of it.
#include <string>

#include "engine/rng.h"
#include "nn/captures.h"
#include "nn/linear.h"
#include "nn/model_config.h"

namespace sinklab::nn {

class Attention : public Module {
 public:
  Attention(const ModelConfig& config, Rng& rng);
  // x: (B, T, d_model), already normalised. `capture_name` prefixes the capture points.
  Tensor forward(const Tensor& x, Captures* captures, const std::string& capture_name) const;

  Linear wq, wk, wv, wo;

 private:
  std::int64_t n_head_;
  PosKind pos_;
  double rope_base_;
};

}  // namespace sinklab::nn
