#pragma once
// A probe pass of a tiny random model (2 layers, 2 heads, d 16), for the tests of the analysis
// metrics: build it, change its weights to make a case with a known answer, run one metric.
#include <functional>
#include <stdexcept>
#include <string>

#include "analysis/registry.h"
#include "engine/rng.h"

namespace sinklab::testing {

inline const analysis::Metric& metric(std::string_view name) {
  for (const auto& m : analysis::metrics())
    if (m->name() == name) return *m;
  throw std::runtime_error("no metric " + std::string(name));
}

struct TinyProbe {
  nn::ModelConfig config;
  nn::Transformer model;
  data::Batch probe;
  analysis::AnalysisConfig analysis;

  static nn::ModelConfig tiny(std::int64_t registers, ops::KeyMask mask, const std::function<void(nn::ModelConfig&)>& change) {
    nn::ModelConfig c;
    c.attention.mask = mask;
    c.vocab_size = 20, c.context = 12, c.d_model = 16, c.n_layer = 2, c.n_head = 2, c.d_ff = 32;
    c.attention.registers = registers;
    if (change) change(c);
    return c;
  }
  // `change` edits the model's config further (a variant, the positions).
  explicit TinyProbe(std::int64_t registers = 2, ops::KeyMask mask = ops::KeyMask::causal,
                     const std::function<void(nn::ModelConfig&)>& change = {})
      : config(tiny(registers, mask, change)), model(config, 7) {
    Rng rng(3);
    std::vector<std::int32_t> ids(3 * 12);
    for (auto& v : ids) v = static_cast<std::int32_t>(rng.below(20));
    probe.inputs = Tensor::from_vector(ids, {3, 12});
  }
  // Zero query and key weights: every score is equal, so every query spreads evenly.
  void make_attention_uniform() {
    for (auto& [name, p] : model.named_parameters())
      if (name.ends_with("attn.wq.weight") || name.ends_with("attn.wk.weight")) copy_into(p, Tensor::zeros(p.shape()));
  }
  // Every metric up to and including `name`, in registry order (a metric may read earlier ones).
  analysis::Json run(std::string_view name) const {
    const analysis::ProbePass pass(model, probe, analysis);
    analysis::Record r;
    for (const auto& m : analysis::metrics()) {
      m->compute(pass, r);
      if (m->name() == name) break;
    }
    return r.json();
  }
};

}  // namespace sinklab::testing
