// The normalised attention entropy: 1 on uniform attention, and the value of its definition on
// the maps a random model makes.
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/registry.h"
#include "engine/rng.h"

namespace sinklab::testing {
namespace {

using namespace analysis;

const Metric& metric(std::string_view name) {
  for (const auto& m : metrics())
    if (m->name() == name) return *m;
  throw std::runtime_error("no metric " + std::string(name));
}

struct ProbeOfATinyModel {
  nn::ModelConfig config = [] {
    nn::ModelConfig c;
    c.vocab_size = 20, c.context = 12, c.d_model = 16, c.n_layer = 2, c.n_head = 2, c.d_ff = 32;
    c.attention.registers = 2;
    return c;
  }();
  nn::Transformer model{config, 7};
  data::Batch probe;
  AnalysisConfig analysis;
  ProbeOfATinyModel() {
    Rng rng(3);
    std::vector<std::int32_t> ids(3 * 12);
    for (auto& v : ids) v = static_cast<std::int32_t>(rng.below(20));
    probe.inputs = Tensor::from_vector(ids, {3, 12});
  }
  Json run() const {
    const ProbePass pass(model, probe, analysis);
    Record r;
    metric("normalized entropy").compute(pass, r);
    return r.json().at("entropy_normalized");
  }
};

TEST(NormalizedEntropy, IsOneOnUniformAttention) {
  ProbeOfATinyModel s;
  // Zero query and key weights: every score is equal, so every query spreads evenly.
  for (auto& [name, p] : s.model.named_parameters())
    if (name.ends_with("attn.wq.weight") || name.ends_with("attn.wk.weight")) copy_into(p, Tensor::zeros(p.shape()));
  for (const auto& layer : s.run())
    for (const auto& v : layer) EXPECT_NEAR(v.get<double>(), 1.0, 1e-6);
}

TEST(NormalizedEntropy, FollowsItsDefinitionOnARandomModel) {
  ProbeOfATinyModel s;
  const ProbePass pass(s.model, s.probe, s.analysis);
  const Json got = s.run();
  for (std::int64_t l = 0; l < pass.L; ++l)
    for (std::int64_t h = 0; h < pass.H; ++h) {
      double want = 0;
      for (std::int64_t b = 0; b < pass.B; ++b) {
        const float* a = pass.probs(l) + ((b * pass.H + h) * pass.N) * pass.N;
        double rows = 0;
        for (std::int64_t i = pass.first + 1; i < pass.N; ++i) {
          double e = 0;
          for (std::int64_t j = 0; j <= i; ++j) e -= a[i * pass.N + j] * std::log(static_cast<double>(a[i * pass.N + j]));
          rows += e / std::log(static_cast<double>(i + 1));
        }
        want += rows / static_cast<double>(pass.N - pass.first - 1) / static_cast<double>(pass.B);
      }
      EXPECT_NEAR(got[l][h].get<double>(), want, 1e-12) << l << " " << h;
      EXPECT_GT(want, 0.5);  // a random model attends broadly
      EXPECT_LT(want, 1.0);
    }
}

}  // namespace
}  // namespace sinklab::testing
