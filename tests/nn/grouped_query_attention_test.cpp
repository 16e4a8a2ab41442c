// Grouped-query attention (model.n_kv_head): the repeat of k and v over their query heads in the
// arrangement nn::Attention uses, against central differences; n_kv_head = n_head as 0; and a
// grouped model against the same model with each kv head's rows of wk and wv written out once per
// query head it serves (n_kv_head 0): forward, gradients, edits and analysis. A wrong head mapping
// (tiling the kv heads instead of repeating each) fails the last, and the golden fixture llama_gqa.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <map>

#include "analysis/probe_pass.h"
#include "analysis/registry.h"
#include "nn/transformer.h"
#include "ops/ops.h"
#include "support/gradcheck.h"

namespace sinklab::testing {
namespace {

using Inputs = std::vector<Tensor>;

TEST(GroupedQueryAttention, RepeatedKeysAndValuesGradient) {
  Rng rng(141);
  const std::int64_t B = 2, T = 3, H = 4, Hkv = 2, D = 2;
  Tensor q = random_input({B, H, T, D}, rng), k = random_input({B, T, Hkv * D}, rng, true), v = random_input({B, T, Hkv * D}, rng, true);
  expect_gradcheck("expand", [=](const Inputs& in) {
    auto split = [&](const Tensor& t) { return ops::permute(ops::reshape(t, {B, T, Hkv, D}), {0, 2, 1, 3}); };
    auto repeat = [&](const Tensor& t) {
      return ops::reshape(ops::expand(ops::reshape(t, {B, Hkv, 1, T, D}), {B, Hkv, H / Hkv, T, D}), {B, H, T, D});
    };
    return ops::causal_attention(in[0], repeat(ops::rope(split(in[1]))), repeat(split(in[2]))).out;
  }, {q, k, v});
}

// The config rule is tested in tests/train/config_test.cpp; a model built without it refuses too.
TEST(GroupedQueryAttention, TransformerRefusesIndivisibleKvHeads) {
  nn::ModelConfig c;
  c.n_head = 4, c.n_kv_head = 3;
  try {
    nn::Transformer model(c, 0);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("n_head 4 is not divisible by n_kv_head 3"), std::string::npos) << e.what();
  }
}

// Tiny models of 4 heads of width 4: `style` 0 Llama (RoPE), 1 GPT-2 (learned positions, biases; the
// packed projection when ungrouped), 2 qk-norm and a learned sink logit.
nn::ModelConfig tiny(int style, std::int64_t n_kv_head) {
  nn::ModelConfig c;
  c.vocab_size = 20, c.context = 8, c.d_model = 16, c.n_layer = 2, c.n_head = 4, c.d_ff = 32, c.n_kv_head = n_kv_head;
  if (style == 1) c.pos = nn::PosKind::learned, c.norm = nn::NormKind::layernorm, c.bias = true;
  if (style == 2) c.attention.qk_norm = true, c.attention.sink_logit = nn::SinkLogit::learned;
  return c;
}

const Tensor ids = Tensor::from_vector<std::int32_t>({3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3}, {2, 8});
const Tensor targets = Tensor::from_vector<std::int32_t>({1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2}, {2, 8});

// Logits, then each parameter's gradient of the loss, by name.
std::pair<std::vector<float>, std::map<std::string, Tensor>> run(const nn::Transformer& m) {
  const Tensor logits = m.forward(ids);
  backward(ops::cross_entropy(logits, targets));
  std::map<std::string, Tensor> grads;
  for (const auto& [name, p] : m.named_parameters()) grads[name] = p.grad();
  return {logits.to_vector<float>(), grads};
}

class StyleTest : public ::testing::TestWithParam<int> {};

TEST_P(StyleTest, AsManyKvHeadsAsHeadsIsZero) {
  nn::Transformer zero(tiny(GetParam(), 0), 5), same(tiny(GetParam(), 4), 5);
  const auto [logits0, grads0] = run(zero);
  const auto [logits4, grads4] = run(same);
  EXPECT_EQ(logits0, logits4);
  ASSERT_EQ(grads0.size(), grads4.size());
  for (const auto& [name, g] : grads0) EXPECT_EQ(g.to_vector<float>(), grads4.at(name).to_vector<float>()) << name;
}

bool is_kv(const std::string& name) { return name.find("attn.wk.") != std::string::npos || name.find("attn.wv.") != std::string::npos; }

// Rows of a wk or wv weight or bias (kv_heads * D, ...) written out per query head: query head h's
// rows are those of kv head h / G.
Tensor written_out(const Tensor& t, std::int64_t G, std::int64_t D) {
  const auto v = t.to_vector<float>();
  const std::int64_t rows = t.shape()[0], cols = t.numel() / rows;
  std::vector<float> out;
  for (std::int64_t r = 0; r < rows * G; ++r) {
    const std::int64_t from = r / D / G * D + r % D;
    out.insert(out.end(), v.begin() + from * cols, v.begin() + (from + 1) * cols);
  }
  Shape shape = t.shape();
  shape[0] = rows * G;
  return Tensor::from_vector(out, shape);
}

// The gradient of written-out rows summed back over each group: (H * D, ...) -> (H / G * D, ...).
std::vector<double> grouped(const Tensor& t, std::int64_t G, std::int64_t D) {
  const auto v = t.to_vector<float>();
  const std::int64_t rows = t.shape()[0], cols = t.numel() / rows;
  std::vector<double> out(static_cast<std::size_t>(rows / G * cols), 0.0);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) out[(r / D / G * D + r % D) * cols + c] += v[r * cols + c];
  return out;
}

double relative_error(const std::vector<double>& got, const std::vector<double>& want) {
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < got.size(); ++i) diff += (got[i] - want[i]) * (got[i] - want[i]), norm += want[i] * want[i];
  return std::sqrt(diff) / std::max(std::sqrt(norm), 1e-5);
}

std::vector<double> doubles(const Tensor& t) {
  const auto v = t.to_vector<float>();
  return {v.begin(), v.end()};
}

// Every number in `got` within tolerance of `want`, every other value equal.
void expect_near_json(const analysis::Json& got, const analysis::Json& want, const std::string& at = "") {
  if (want.is_number() && got.is_number()) {
    EXPECT_NEAR(got.get<double>(), want.get<double>(), 1e-5 + 1e-3 * std::abs(want.get<double>())) << at;
  } else if (want.is_object() && got.is_object()) {
    ASSERT_EQ(got.size(), want.size()) << at;
    for (const auto& [key, value] : want.items()) expect_near_json(got.at(key), value, at + "/" + key);
  } else if (want.is_array() && got.is_array()) {
    ASSERT_EQ(got.size(), want.size()) << at;
    for (std::size_t i = 0; i < want.size(); ++i) expect_near_json(got[i], want[i], at + "/" + std::to_string(i));
  } else {
    EXPECT_EQ(got, want) << at;
  }
}

TEST_P(StyleTest, MatchesItsKvHeadsWrittenOut) {
  const std::int64_t G = 2, D = 4;
  nn::Transformer gqa(tiny(GetParam(), 2), 5), full(tiny(GetParam(), 0), 6);
  const auto gqa_params = gqa.named_parameters();
  const std::map<std::string, Tensor> params(gqa_params.begin(), gqa_params.end());
  for (const auto& [name, p] : full.named_parameters()) {
    const Tensor& from = params.at(name);
    copy_into(p, is_kv(name) ? written_out(from, G, D) : from);
  }
  const auto [logits_gqa, grads_gqa] = run(gqa);
  const auto [logits_full, grads_full] = run(full);
  EXPECT_LE(relative_error({logits_gqa.begin(), logits_gqa.end()}, {logits_full.begin(), logits_full.end()}), 1e-5);
  for (const auto& [name, g] : grads_gqa)
    EXPECT_LE(relative_error(doubles(g), is_kv(name) ? grouped(grads_full.at(name), G, D) : doubles(grads_full.at(name))), 1e-4) << name;

  // sinklab intervene's edits act alike on both.
  for (const nn::AttentionEdit& edit : {nn::AttentionEdit{.mask_first = true}, nn::AttentionEdit{.zero_first_value = true},
                                        nn::AttentionEdit{.ablate_heads = {1}}, nn::AttentionEdit{.uniform_heads = {2}}}) {
    gqa.edit_attention(1, edit), full.edit_attention(1, edit);
    NoGradGuard no_grad;
    EXPECT_LE(relative_error(doubles(gqa.forward(ids)), doubles(full.forward(ids))), 1e-5);
  }
  gqa.edit_attention(1, {}), full.edit_attention(1, {});

  // Analysis sees one value per query head and, for head h, the weights of the kv head it reads:
  // every metric agrees but the sums over the parameters, which the grouped model has fewer of.
  data::Batch probe;
  probe.inputs = ids;
  const analysis::AnalysisConfig config;
  const analysis::ProbePass on_gqa(gqa, probe, config), on_full(full, probe, config);
  analysis::Record r_gqa, r_full;
  for (const auto& m : analysis::metrics()) m->compute(on_gqa, r_gqa), m->compute(on_full, r_full);
  for (const char* parameter_sum : {"attn_cost", "block_cost", "model_cost"}) {
    EXPECT_NE(r_gqa.json().at(parameter_sum), r_full.json().at(parameter_sum));
    r_gqa.json().erase(parameter_sum), r_full.json().erase(parameter_sum);
  }
  expect_near_json(r_gqa.json(), r_full.json());
}

std::string style_name(const ::testing::TestParamInfo<int>& info) {
  const std::array<const char*, 3> names{"Llama", "GPT2", "QkNormSink"};
  return names.at(static_cast<std::size_t>(info.param));
}

INSTANTIATE_TEST_SUITE_P(Styles, StyleTest, ::testing::Values(0, 1, 2), style_name);

}  // namespace
}  // namespace sinklab::testing
