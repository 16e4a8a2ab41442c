#include "analysis/probe_pass.h"

#include "engine/autograd.h"
#include "engine/error.h"

namespace sinklab::analysis {
namespace {

std::string block(std::int64_t layer) { return "blocks." + std::to_string(layer); }

// The capture points the metrics read (nn/captures.h), after "blocks.<l>".
constexpr const char* probs_at = ".attn.probs";
constexpr const char* values_at = ".attn.v";
constexpr const char* mixed_at = ".attn.mixed";
constexpr const char* attn_in_at = ".attn_in";
constexpr const char* resid_pre_at = ".resid_pre";
constexpr const char* resid_post_at = ".resid_post";

}  // namespace

ProbePass::ProbePass(const nn::Transformer& model, const data::Batch& probe, const AnalysisConfig& config)
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
      mask_(model.key_mask(0)) {
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
  for (std::int64_t l = 0; l < L; ++l)
    for (const char* capture : {probs_at, values_at, mixed_at, attn_in_at, resid_pre_at, resid_post_at})
      if (!captures_.tensors.contains(block(l) + capture)) fail("analysis: the probe's forward pass captured no {}{}", block(l), capture);
  mean_maps_.resize(static_cast<std::size_t>(L * H));
  for (std::int64_t l = 0; l < L; ++l)
    for (std::int64_t h = 0; h < H; ++h) {
      auto& mean = mean_maps_[l * H + h];
      mean.assign(static_cast<std::size_t>(N * N), 0.0);
      for (std::int64_t b = 0; b < B; ++b) {
        const float* a = probs(l) + ((b * H + h) * N) * N;
        for (std::int64_t k = 0; k < N * N; ++k) mean[k] += a[k];
      }
      for (auto& v : mean) v /= static_cast<double>(B);
    }
}

const float* ProbePass::probs(std::int64_t layer) const { return captures_.tensors.at(block(layer) + probs_at).data<float>(); }

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
