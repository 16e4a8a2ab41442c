// sinklab intervene's edits of the forward pass, each against a model whose weights or config do
// the same thing: ablating a head = zeroing its columns of W_O; a uniform head = zeroing its rows of
// W_Q; masking the first position = model.attention.mask no_first; a zero first value = a value
// of 0 at position 0 in every head. Both layouts of q, k, v (RoPE, and GPT-2's packed one).
#include <gtest/gtest.h>

#include "nn/transformer.h"
#include "ops/ops.h"

namespace sinklab::testing {
namespace {

nn::ModelConfig tiny(bool gpt2) {
  nn::ModelConfig c;
  c.vocab_size = 20, c.context = 8, c.d_model = 8, c.n_layer = 2, c.n_head = 2, c.d_ff = 16;
  if (gpt2) c.pos = nn::PosKind::learned, c.norm = nn::NormKind::layernorm, c.bias = true;
  return c;
}

const Tensor ids = Tensor::from_vector<std::int32_t>({3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3}, {2, 8});

std::vector<float> logits(const nn::Transformer& m) {
  NoGradGuard no_grad;
  return m.forward(ids).to_vector<float>();
}

// Sets rows [from, to) (rows = true) or columns of a parameter's (out, in) matrix to 0.
void zero_part(nn::Transformer& m, const std::string& name, std::int64_t from, std::int64_t to, bool rows) {
  for (auto& [n, p] : m.named_parameters())
    if (n == name) {
      std::vector<float> v = p.to_vector<float>();
      const std::int64_t in = p.shape()[1];
      for (std::int64_t r = 0; r < p.shape()[0]; ++r)
        for (std::int64_t c = 0; c < in; ++c)
          if (rows ? (r >= from && r < to) : (c >= from && c < to)) v[r * in + c] = 0;
      copy_into(p, Tensor::from_vector(v, p.shape()));
    }
}

void expect_same(const std::vector<float>& a, const std::vector<float>& b, double tol) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], tol) << i;
}

class AttentionEdit : public ::testing::TestWithParam<bool> {};

TEST_P(AttentionEdit, AblatingAHeadIsZeroingItsColumnsOfWo) {
  nn::Transformer edited(tiny(GetParam()), 5), weights(tiny(GetParam()), 5);
  edited.edit_attention(1, {.ablate_heads = {1}});
  zero_part(weights, "blocks.1.attn.wo.weight", 4, 8, false);
  expect_same(logits(edited), logits(weights), 1e-5);
  const auto before = logits(nn::Transformer(tiny(GetParam()), 5));
  edited.edit_attention(1, {});  // an empty edit restores the model
  expect_same(logits(edited), before, 0);
}

TEST_P(AttentionEdit, AUniformHeadIsZeroingItsQueries) {
  nn::Transformer edited(tiny(GetParam()), 5), weights(tiny(GetParam()), 5);
  edited.edit_attention(0, {.uniform_heads = {0}});
  zero_part(weights, "blocks.0.attn.wq.weight", 0, 4, true);
  for (auto& [n, p] : weights.named_parameters())  // GPT-2's query bias too
    if (n == "blocks.0.attn.wq.bias") {
      std::vector<float> v = p.to_vector<float>();
      for (int i = 0; i < 4; ++i) v[i] = 0;
      copy_into(p, Tensor::from_vector(v, p.shape()));
    }
  expect_same(logits(edited), logits(weights), 1e-5);
  nn::Captures cap;
  cap.attention = true;
  NoGradGuard no_grad;
  edited.hidden(ids, &cap);
  const auto a = cap.maps.at("blocks.0.attn").all().to_vector<float>();  // (B, H, T, T)
  for (std::int64_t i = 0; i < 8; ++i)
    for (std::int64_t j = 0; j <= i; ++j) EXPECT_NEAR(a[i * 8 + j], 1.0 / static_cast<double>(i + 1), 1e-6);  // sequence 0, head 0
}

TEST_P(AttentionEdit, MaskingTheFirstPositionIsTheNoFirstMask) {
  nn::ModelConfig masked = tiny(GetParam());
  masked.attention.mask = ops::KeyMask::no_first;
  nn::Transformer edited(tiny(GetParam()), 5), config(masked, 5);
  for (std::int64_t l = 0; l < 2; ++l) edited.edit_attention(l, {.mask_first = true});
  expect_same(logits(edited), logits(config), 0);
}

TEST_P(AttentionEdit, AZeroFirstValueWritesNothingFromTheFirstPosition) {
  nn::Transformer edited(tiny(GetParam()), 5), plain(tiny(GetParam()), 5);
  for (std::int64_t l = 0; l < 2; ++l) edited.edit_attention(l, {.zero_first_value = true});
  nn::Captures a, b;
  a.attention = a.values = b.attention = b.values = true;
  NoGradGuard no_grad;
  edited.hidden(ids, &a);
  plain.hidden(ids, &b);
  const auto v = a.tensors.at("blocks.0.attn.v").to_vector<float>();  // (B, H, T, D)
  for (std::int64_t bh = 0; bh < 4; ++bh)
    for (std::int64_t d = 0; d < 4; ++d) EXPECT_EQ(v[bh * 8 * 4 + d], 0.0f);
  // Values do not change the first layer's scores: its maps are the plain model's.
  expect_same(a.maps.at("blocks.0.attn").all().to_vector<float>(), b.maps.at("blocks.0.attn").all().to_vector<float>(), 0);
  EXPECT_NE(logits(edited), logits(plain));
}

INSTANTIATE_TEST_SUITE_P(Layouts, AttentionEdit, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "GPT2Packed" : "LlamaRope"; });

}  // namespace
}  // namespace sinklab::testing
