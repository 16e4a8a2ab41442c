#pragma once
// One pass of the probe set through the model (no gradients): what every metric reads — each
// head's attention maps, the captured values, gates and residual states, the weights, the sizes —
// and, from one sweep over the maps, each head's dominant key and the pooled probe-mean maps.
// The maps are kept when they fit in map_cache_bytes; past that (long probes: L·B·H·N² floats)
// each is recomputed when asked for, one head at a time: one N² buffer per thread, not L·B·H.
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "analysis/analysis_config.h"
#include "analysis/field.h"
#include "data/batch.h"
#include "nn/transformer.h"

namespace sinklab::analysis {

// Buffers of recomputed maps, handed out again once returned: a fresh N x N buffer per map would
// cost its page faults every time (most of the time at N = 4096).
class MapBuffers {
 public:
  std::vector<float> take(std::size_t size);
  void give_back(std::vector<float> buffer);
  // Buffers made up front, outside the metrics' parallel loops (where running out of memory could
  // not be reported as an error).
  void reserve(std::int64_t count, std::size_t size);

 private:
  std::mutex mutex_;
  std::vector<std::vector<float>> free_;
};

// One head's attention map on one probe sequence, N x N, row i holding the weights of the keys
// query i sees: a view of the kept maps, or a recomputed copy in a buffer it returns when done.
class HeadMap {
 public:
  explicit HeadMap(const float* kept) : data_(kept) {}
  HeadMap(std::vector<float> own, MapBuffers& buffers) : own_(std::move(own)), data_(own_.data()), buffers_(&buffers) {}
  HeadMap(HeadMap&& other) noexcept
      : own_(std::move(other.own_)), data_(other.data_), buffers_(std::exchange(other.buffers_, nullptr)) {}
  HeadMap(const HeadMap&) = delete;
  HeadMap& operator=(const HeadMap&) = delete;
  HeadMap& operator=(HeadMap&&) = delete;
  ~HeadMap() {
    if (buffers_ == nullptr) return;
    try {
      buffers_->give_back(std::move(own_));
    } catch (...) {  // out of memory for the free list: the buffer is simply freed
    }
  }
  const float* data() const { return data_; }

 private:
  std::vector<float> own_;
  const float* data_;
  MapBuffers* buffers_ = nullptr;
};

class ProbePass {
 public:
  ProbePass(const nn::Transformer& model, const data::Batch& probe, const AnalysisConfig& config,
            double map_cache_bytes = probe_map_cache_bytes);

  const nn::ModelConfig& model() const { return model_.config(); }
  const AnalysisConfig& config() const { return config_; }
  // Layers, heads, head width, model width, registers, probe sequences, tokens and positions
  // (registers + tokens) per sequence, and the first token's position (= registers).
  std::int64_t L, H, D, C, R, B, T, N, first;
  // The keys every query saw in this pass: the config's mask, or an intervention's.
  ProbeShape shape() const { return {N, first, mask_}; }

  HeadMap map(std::int64_t layer, std::int64_t b, std::int64_t head) const;
  bool maps_kept() const { return !kept_.empty(); }
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
  // The key with the most attention from queries i >= first over the probe (the first on ties).
  std::int64_t dominant_key(std::int64_t layer, std::int64_t head) const { return dominant_[layer * H + head]; }
  // The probe-mean maps, (L, H, n, n) float32: at N <= snapshot_cells the maps themselves
  // (n = N); longer ones pooled into blocks of f = ⌈N / snapshot_cells⌉ positions (n = ⌈N / f⌉),
  // a cell holding the mean over its queries of the summed weights of its keys (rows still sum
  // to the row's mass).
  Tensor snapshot() const;

 private:
  const nn::Transformer& model_;
  const data::Batch& probe_;
  const AnalysisConfig& config_;
  ops::KeyMask mask_;
  nn::Captures captures_;
  std::vector<ops::AttentionMaps> maps_;  // per layer
  std::vector<Tensor> kept_;              // per layer (B, H, N, N) when kept
  mutable MapBuffers buffers_;            // else the recomputed ones
  std::map<std::string, Tensor> params_;
  std::vector<std::int64_t> dominant_;    // per (layer, head)
  std::int64_t pool_, cells_;             // snapshot: positions per cell, cells per side
  std::vector<double> pooled_;            // (L, H, cells, cells)
};

}  // namespace sinklab::analysis
