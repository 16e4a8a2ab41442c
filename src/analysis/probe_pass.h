#pragma once
// One pass of the probe set through the model (no gradients): what every metric reads — the
// captured attention maps, values, gates and residual states, the weights, the sizes — and the
// probe-mean attention maps, computed once.
#include <map>
#include <string>
#include <vector>

#include "analysis/analysis_config.h"
#include "analysis/field.h"
#include "data/batch.h"
#include "nn/transformer.h"

namespace sinklab::analysis {

class ProbePass {
 public:
  ProbePass(const nn::Transformer& model, const data::Batch& probe, const AnalysisConfig& config);

  const nn::ModelConfig& model() const { return model_.config(); }
  const AnalysisConfig& config() const { return config_; }
  // Layers, heads, head width, model width, registers, probe sequences, tokens and positions
  // (registers + tokens) per sequence, and the first token's position (= registers).
  std::int64_t L, H, D, C, R, B, T, N, first;
  // The keys every query saw in this pass: the config's mask, or an intervention's.
  ProbeShape shape() const { return {N, first, mask_}; }

  const float* probs(std::int64_t layer) const;   // (B, H, N, N)
  const Tensor& values(std::int64_t layer) const;  // (B, H, N, D)
  const Tensor& mixed(std::int64_t layer) const;   // (B, H, N, D): Σ_j A_ij v_j per head, before any gate
  const Tensor* gate(std::int64_t layer) const;   // (B, N, H*D) or (B, N, H); null when ungated
  const Tensor& resid_pre(std::int64_t layer) const;   // (B, N, C)
  const Tensor& attn_in(std::int64_t layer) const;     // (B, N, C): the attention's input, resid_pre after the norm
  const Tensor& resid_post(std::int64_t layer) const;  // (B, N, C)
  const Tensor& param(const std::string& name) const;
  const std::map<std::string, Tensor>& params() const { return params_; }
  // Per query position (B, T) i32: 1 when the target needs attention; null without query classes.
  const std::int32_t* needs_attention() const;
  // The probe-mean map of a head, N x N.
  const std::vector<double>& mean_map(std::int64_t layer, std::int64_t head) const { return mean_maps_[layer * H + head]; }

 private:
  const nn::Transformer& model_;
  const data::Batch& probe_;
  const AnalysisConfig& config_;
  ops::KeyMask mask_;
  nn::Captures captures_;
  std::map<std::string, Tensor> params_;
  std::vector<std::vector<double>> mean_maps_;
};

}  // namespace sinklab::analysis
