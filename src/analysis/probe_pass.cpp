#include "analysis/probe_pass.h"

#include <omp.h>

#include <algorithm>

#include "engine/autograd.h"
#include "engine/error.h"

namespace sinklab::analysis {
namespace {

std::string block(std::int64_t layer) { return "blocks." + std::to_string(layer); }

// The capture points the metrics read (nn/captures.h), after "blocks.<l>".
constexpr const char* maps_at = ".attn";
constexpr const char* values_at = ".attn.v";
constexpr const char* mixed_at = ".attn.mixed";
constexpr const char* attn_in_at = ".attn_in";
constexpr const char* resid_pre_at = ".resid_pre";
constexpr const char* resid_post_at = ".resid_post";

}  // namespace

ProbePass::ProbePass(const nn::Transformer& model, const data::Batch& probe, const AnalysisConfig& config, double map_cache_bytes)
    : L(model.config().n_layer),
      H(model.config().n_head),
      D(model.config().d_head()),
      C(model.config().d_model),
      R(model.config().attention.registers),
      B(probe.inputs.shape()[0]),
      T(probe.inputs.shape()[1]),
      N(R + T),
      first(R),
      model_(model),
      probe_(probe),
      config_(config),
      mask_(model.key_mask(0)),
      pool_((N + snapshot_cells - 1) / snapshot_cells),
      cells_((N + pool_ - 1) / pool_) {
  for (std::int64_t l = 1; l < L; ++l)
    if (model.key_mask(l) != mask_) fail("analysis: the layers' attention sees different keys (an intervention on some layers only)");
  captures_.attention = captures_.residual = captures_.values = true;
  {
    NoGradGuard no_grad;
    model.hidden(probe.inputs, &captures_);  // the captures are all it needs: no logits
  }
  for (const auto& [name, p] : model.named_parameters()) params_[name] = p;
  // Every capture a metric reads, looked up once here: metrics read them in parallel loops, where
  // a missing one could not be reported as an error.
  for (std::int64_t l = 0; l < L; ++l) {
    for (const char* capture : {values_at, mixed_at, attn_in_at, resid_pre_at, resid_post_at})
      if (!captures_.tensors.contains(block(l) + capture)) fail("analysis: the probe's forward pass captured no {}{}", block(l), capture);
    const auto it = captures_.maps.find(block(l) + maps_at);
    if (it == captures_.maps.end() || !it->second.defined()) fail("analysis: the probe's forward pass captured no attention maps of {}", block(l));
    maps_.push_back(it->second);
  }
  if (probe_map_bytes(static_cast<double>(L), static_cast<double>(B), static_cast<double>(H), static_cast<double>(N)) <= map_cache_bytes)
    for (const auto& m : maps_) kept_.push_back(m.all());
  else
    buffers_.reserve(std::min<std::int64_t>(omp_get_max_threads(), L * H), static_cast<std::size_t>(N * N));
  // One sweep over every map: per head, the attention mass each key gets (for its dominant key)
  // and the pooled probe-mean map.
  dominant_.resize(static_cast<std::size_t>(L * H));
  pooled_.assign(static_cast<std::size_t>(L * H * cells_ * cells_), 0.0);
#pragma omp parallel for schedule(dynamic)
  for (std::int64_t lh = 0; lh < L * H; ++lh) {
    const std::int64_t l = lh / H, h = lh % H;
    std::vector<double> mass(static_cast<std::size_t>(N), 0.0);
    double* pooled = pooled_.data() + lh * cells_ * cells_;
    for (std::int64_t b = 0; b < B; ++b) {
      const HeadMap m = map(l, b, h);
      const float* a = m.data();
      for (std::int64_t i = 0; i < N; ++i)
        for (std::int64_t j = 0; j <= i; ++j) {
          if (i >= first) mass[j] += a[i * N + j];
          pooled[i / pool_ * cells_ + j / pool_] += a[i * N + j];
        }
    }
    for (std::int64_t I = 0; I < cells_; ++I)  // sums over B sequences and the cell's queries
      for (std::int64_t J = 0; J < cells_; ++J)
        pooled[I * cells_ + J] /= static_cast<double>(B * std::min(pool_, N - I * pool_));
    dominant_[lh] = std::max_element(mass.begin(), mass.end()) - mass.begin();
  }
}

HeadMap ProbePass::map(std::int64_t layer, std::int64_t b, std::int64_t head) const {
  const std::int64_t pair = b * H + head;
  if (!kept_.empty()) return HeadMap(kept_[layer].data<float>() + pair * N * N);
  std::vector<float> own = buffers_.take(static_cast<std::size_t>(N * N));
  maps_[layer].fill<float>(pair, own.data());
  return HeadMap(std::move(own), buffers_);
}

std::vector<float> MapBuffers::take(std::size_t size) {
  {
    const std::lock_guard lock(mutex_);
    if (!free_.empty()) {
      std::vector<float> buffer = std::move(free_.back());
      free_.pop_back();
      buffer.resize(size);
      return buffer;
    }
  }
  return std::vector<float>(size);
}

void MapBuffers::reserve(std::int64_t count, std::size_t size) {
  const std::lock_guard lock(mutex_);
  while (static_cast<std::int64_t>(free_.size()) < count) free_.emplace_back(size);
}

void MapBuffers::give_back(std::vector<float> buffer) {
  const std::lock_guard lock(mutex_);
  free_.push_back(std::move(buffer));
}

Tensor ProbePass::snapshot() const {
  Tensor out = Tensor::empty({L, H, cells_, cells_});
  float* dst = out.data<float>();
  for (std::size_t k = 0; k < pooled_.size(); ++k) dst[k] = static_cast<float>(pooled_[k]);
  return out;
}

const Tensor& ProbePass::values(std::int64_t layer) const { return captures_.tensors.at(block(layer) + values_at); }

const Tensor& ProbePass::mixed(std::int64_t layer) const { return captures_.tensors.at(block(layer) + mixed_at); }

const Tensor* ProbePass::gate(std::int64_t layer) const {
  const auto it = captures_.tensors.find(block(layer) + ".attn.gate");
  return it == captures_.tensors.end() ? nullptr : &it->second;
}

const Tensor& ProbePass::resid_pre(std::int64_t layer) const { return captures_.tensors.at(block(layer) + resid_pre_at); }

const Tensor& ProbePass::attn_in(std::int64_t layer) const { return captures_.tensors.at(block(layer) + attn_in_at); }

const Tensor& ProbePass::resid_post(std::int64_t layer) const { return captures_.tensors.at(block(layer) + resid_post_at); }

const Tensor& ProbePass::param(const std::string& name) const { return params_.at(name); }

const std::int32_t* ProbePass::needs_attention() const {
  return probe_.needs_attention.defined() ? probe_.needs_attention.data<std::int32_t>() : nullptr;
}

}  // namespace sinklab::analysis
