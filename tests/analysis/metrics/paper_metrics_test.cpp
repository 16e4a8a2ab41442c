// The seed paper's per-head metrics (head output, smoothing, BOS alignment) and the sink-event
// condition of the head classes, on a tiny model: at uniform attention, where they have closed
// forms, and against their definitions computed here from the probe's maps, values and states.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "analysis/head_slices.h"
#include "analysis/head_updates.h"
#include "support/tiny_probe.h"

namespace sinklab::testing {
namespace {

using namespace analysis;

// Sequence b's attention map of head h in layer l: (N, N), to compute the definitions from.
Matrix head_map(const ProbePass& p, std::int64_t l, std::int64_t h, std::int64_t b) {
  Matrix a(p.N, p.N);
  const HeadMap map = p.map(l, b, h);
  for (std::int64_t i = 0; i < p.N; ++i)
    for (std::int64_t j = 0; j < p.N; ++j) a(i, j) = map.data()[i * p.N + j];
  return a;
}

TEST(PaperMetrics, UniformAttentionHasItsClosedForms) {
  TinyProbe s(0);
  s.make_attention_uniform();
  const Json r = s.run("BOS alignment");
  const ProbePass pass(s.model, s.probe, s.analysis);
  for (std::int64_t l = 0; l < pass.L; ++l)
    for (std::int64_t h = 0; h < pass.H; ++h) {
      // Only query 1 (two keys, half each) is a sink query: share 1/(N−1), its chance level.
      EXPECT_NEAR(r.at("sink_query_share")[l][h].get<double>(), 1.0 / static_cast<double>(pass.N - 1), 1e-12);
      EXPECT_FALSE(r.at("head_out_norm_sink")[l][h].is_null());
      // A = A_u: uniform attention adds nothing uniform attention would not.
      EXPECT_NEAR(r.at("smoothing_uniform")[l][h].get<double>(), 0.0, 1e-6);
      // No key takes half of most rows: no sink event, so no nop or broadcast.
      EXPECT_EQ(r.at("head_class")[l][h].get<std::string>(), "no-sink");
    }
  EXPECT_EQ(r.at("nop_count").get<int>(), 0);
}

TEST(PaperMetrics, UniformAttentionAddsNothingUniformWouldNotUnderAKeyMask) {
  for (auto mask : {ops::KeyMask::no_first, ops::KeyMask::no_self}) {
    TinyProbe s(0, mask);
    s.make_attention_uniform();  // A is uniform over the keys each query sees, A_u must be too
    const Json r = s.run("smoothing");
    for (const auto& layer : r.at("smoothing_uniform"))
      for (const auto& v : layer) EXPECT_NEAR(v.get<double>(), 0.0, 1e-6);
  }
}

TEST(PaperMetrics, MixedValuesAreEachHeadsMapTimesItsValues) {
  using Change = std::function<void(nn::ModelConfig&)>;
  const auto learned_positions = [](nn::ModelConfig& c) { c.pos = nn::PosKind::learned; };  // q, k, v from one packed product
  const std::vector<std::tuple<std::int64_t, ops::KeyMask, Change, nn::AttentionEdit>> cases{
      {2, ops::KeyMask::causal, {}, {}},  // registers, RoPE
      {0, ops::KeyMask::no_first, learned_positions, {}},
      {0, ops::KeyMask::no_self, [](nn::ModelConfig& c) { c.attention.sink_logit = nn::SinkLogit::learned; }, {}},
      {0, ops::KeyMask::causal, [](nn::ModelConfig& c) { c.attention.gate = nn::GateKind::elementwise; }, {}},  // before the gate
      {0, ops::KeyMask::causal, [](nn::ModelConfig& c) { c.attention.kind = nn::AttentionKind::sigmoid, c.attention.normalize = false; }, {}},
      {1, ops::KeyMask::causal, [](nn::ModelConfig& c) { c.attention.qk_norm = true; }, {}},
      {0, ops::KeyMask::causal, learned_positions, {.mask_first = true, .zero_first_value = true, .ablate_heads = {0}, .uniform_heads = {1}}}};
  for (const auto& [registers, mask, change, edit] : cases) {
    TinyProbe s(registers, mask, change);
    for (std::int64_t l = 0; l < s.config.n_layer; ++l) s.model.edit_attention(l, edit);
    const ProbePass p(s.model, s.probe, s.analysis);
    EXPECT_EQ(p.shape().mask, edit.mask_first ? ops::KeyMask::no_first : mask);
    for (std::int64_t l = 0; l < p.L; ++l)
      for (std::int64_t h = 0; h < p.H; ++h)
        for (std::int64_t b = 0; b < p.B; ++b) {
          const Matrix av = head_map(p, l, h, b) * head_values(p, l, h, b);
          EXPECT_LT((head_mixed(p, l, h, b) - av).cwiseAbs().maxCoeff(), 1e-6 * (1 + av.cwiseAbs().maxCoeff()));
        }
  }
}

TEST(PaperMetrics, AHeadThatWritesNothingStillHasItsSinkQueries) {
  TinyProbe s(0);
  s.make_attention_uniform();
  for (auto& [name, w] : s.model.named_parameters())
    if (name == "blocks.0.attn.wv.weight") copy_into(w, Tensor::zeros(w.shape()));
  const Json r = s.run("head output");
  const ProbePass p(s.model, s.probe, s.analysis);
  for (std::int64_t h = 0; h < p.H; ++h) {
    EXPECT_EQ(r.at("head_out_norm")[0][h].get<double>(), 0.0);
    EXPECT_TRUE(r.at("head_out_norm_sink")[0][h].is_null());
    EXPECT_NEAR(r.at("sink_query_share")[0][h].get<double>(), 1.0 / static_cast<double>(p.N - 1), 1e-12);  // as at uniform attention
    EXPECT_GT(r.at("head_out_norm")[1][h].get<double>(), 0.0);
  }
}

TEST(PaperMetrics, HeadOutputFollowsItsDefinition) {
  TinyProbe s(2);
  std::vector<std::int32_t> needs(3 * 12);
  for (std::size_t i = 0; i < needs.size(); ++i) needs[i] = i % 3 == 0;
  s.probe.needs_attention = Tensor::from_vector(needs, {3, 12});
  const Json r = s.run("head output");
  const ProbePass p(s.model, s.probe, s.analysis);
  for (std::int64_t l = 0; l < p.L; ++l) {
    const Tensor& wo = p.param("blocks." + std::to_string(l) + ".attn.wo.weight");
    for (std::int64_t h = 0; h < p.H; ++h) {
      double overall = 0, cls[2] = {0, 0}, n[2] = {0, 0};
      for (std::int64_t b = 0; b < p.B; ++b) {
        const Matrix a = head_map(p, l, h, b), v = head_values(p, l, h, b), w = head_out(wo, h, p.D).transpose();
        double scale = 0, sum = 0;
        for (std::int64_t j = p.first + 1; j < p.N; ++j) scale += (v.row(j) * w).norm() / static_cast<double>(p.N - p.first - 1);
        for (std::int64_t i = p.first + 1; i < p.N; ++i) {
          const double u = (a.row(i) * v * w).norm() / scale;
          sum += u;
          const int k = needs[b * p.T + i - p.R] != 0;
          cls[k] += u, n[k] += 1;
        }
        overall += sum / static_cast<double>(p.N - p.first - 1) / static_cast<double>(p.B);
      }
      EXPECT_NEAR(r.at("head_out_norm")[l][h].get<double>(), overall, 1e-6);
      EXPECT_NEAR(r.at("/by_class/needs_attention/out_norm"_json_pointer)[l][h].get<double>(), cls[1] / n[1], 1e-6);
      EXPECT_NEAR(r.at("/by_class/no_attention/out_norm"_json_pointer)[l][h].get<double>(), cls[0] / n[0], 1e-6);
      EXPECT_GT(overall, 0.0);
      EXPECT_LT(overall, 1.0);  // mixing values shrinks them: a random model attends broadly
    }
  }
}

TEST(PaperMetrics, SmoothingFollowsItsDefinition) {
  TinyProbe s(2);
  const Json r = s.run("smoothing");
  const ProbePass p(s.model, s.probe, s.analysis);
  for (std::int64_t l = 0; l < p.L; ++l) {
    const Tensor& wo = p.param("blocks." + std::to_string(l) + ".attn.wo.weight");
    const Tensor& wv = p.param("blocks." + std::to_string(l) + ".attn.wv.weight");
    for (std::int64_t h = 0; h < p.H; ++h) {
      double dense = 0, flat = 0, x_cos = 0, bw = 0, bww = 0;
      const Matrix m = head_in(wv, h, p.H, p.D) * head_out(wo, h, p.D).transpose();  // W = W_V^h W_O^h, (C, C)
      for (std::int64_t b = 0; b < p.B; ++b) {
        Matrix x(p.N, p.C);
        for (std::int64_t i = 0; i < p.N; ++i)
          for (std::int64_t c = 0; c < p.C; ++c) x(i, c) = p.attn_in(l).data<float>()[(b * p.N + i) * p.C + c];
        const Matrix z = head_values(p, l, h, b) * head_out(wo, h, p.D).transpose(), a = head_map(p, l, h, b);
        Matrix au = Matrix::Zero(p.N, p.N);
        for (std::int64_t i = 0; i < p.N; ++i)
          for (std::int64_t j = 0; j <= i; ++j) au(i, j) = 1.0 / static_cast<double>(i + 1);
        const double c_wz = mean_pairwise_cosine(x + z, p.first), c_a = mean_pairwise_cosine(x + a * z, p.first),
                     c_u = mean_pairwise_cosine(x + au * z, p.first);
        dense += (c_a - c_wz) / static_cast<double>(p.B), flat += (c_u - c_a) / static_cast<double>(p.B);
        x_cos += mean_pairwise_cosine(x, p.first) / static_cast<double>(p.B);
        // B: the covariance of the rows after the first.
        const Matrix rows = x.bottomRows(p.N - p.first - 1);
        const Matrix centred = rows.rowwise() - rows.colwise().mean();
        const Matrix cov = centred.transpose() * centred / static_cast<double>(rows.rows());
        bw += (cov * m).trace() / static_cast<double>(p.B), bww += (cov * m * m.transpose()).trace() / static_cast<double>(p.B);
      }
      EXPECT_NEAR(r.at("smoothing_trace_bw")[l][h].get<double>(), bw, 1e-5 * (1 + std::abs(bw)));
      EXPECT_NEAR(r.at("smoothing_trace_bww")[l][h].get<double>(), bww, 1e-5 * (1 + bww));
      EXPECT_GT(bww, 0.0);
      EXPECT_EQ(r.at("smoothing_condition")[l][h].get<std::string>(), bw > 0 ? "dense-smooths" : bw + bww < 0 ? "sparse-smooths" : "neither");
      EXPECT_NEAR(r.at("smoothing_dense")[l][h].get<double>(), dense, 1e-6);  // the metric's products are in float
      EXPECT_NEAR(r.at("smoothing_uniform")[l][h].get<double>(), flat, 1e-6);
      EXPECT_NEAR(r.at("attn_in_cosine")[l].get<double>(), x_cos, 1e-6);
    }
  }
}

TEST(PaperMetrics, BosAlignmentQuantilesSpanTheCosines) {
  TinyProbe s(0);
  const Json r = s.run("BOS alignment");
  const ProbePass p(s.model, s.probe, s.analysis);
  const Json& sites = r.at("bos_alignment");
  ASSERT_EQ(sites.size(), static_cast<std::size_t>(p.L + 1));
  for (std::int64_t site = 0; site <= p.L; ++site) {
    const Tensor& states = site == 0 ? p.resid_pre(0) : p.attn_in(site - 1);
    std::vector<double> all;
    for (std::int64_t b = 0; b < p.B; ++b)
      for (std::int64_t i = 1; i < p.N; ++i) {
        double dot = 0, n0 = 0, ni = 0;
        for (std::int64_t c = 0; c < p.C; ++c) {
          const double f = states.data<float>()[(b * p.N) * p.C + c], x = states.data<float>()[(b * p.N + i) * p.C + c];
          dot += f * x, n0 += f * f, ni += x * x;
        }
        all.push_back(dot / std::sqrt(n0 * ni));
      }
    std::sort(all.begin(), all.end());
    const Json& q = sites[site];
    ASSERT_EQ(q.size(), quantile_levels.size());
    EXPECT_NEAR(q.front().get<double>(), all.front(), 1e-9);
    EXPECT_NEAR(q.back().get<double>(), all.back(), 1e-9);
    ASSERT_EQ(all.size() % 2, 1u);  // 3 x 11 cosines: the median is the middle one
    EXPECT_NEAR(q[3].get<double>(), all[all.size() / 2], 1e-9);
    for (std::size_t k = 1; k < q.size(); ++k) EXPECT_LE(q[k - 1].get<double>(), q[k].get<double>());
  }
}

}  // namespace
}  // namespace sinklab::testing
