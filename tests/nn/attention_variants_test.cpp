// Gradient checks for the pieces the attention variants add on top of the checked ops: the
// output gate (elementwise and headwise broadcast) and registers (prepend, then drop), in the
// exact tensor arrangement nn::Attention and nn::Transformer use.
#include <gtest/gtest.h>

#include "nn/transformer.h"
#include "ops/ops.h"
#include "support/gradcheck.h"

namespace sinklab::testing {
namespace {

using Inputs = std::vector<Tensor>;

TEST(AttentionVariants, GateGradient) {
  Rng rng(131);
  const std::int64_t B = 2, T = 3, H = 2, D = 3, C = H * D;
  Tensor y = random_input({B, T, H, D}, rng, true), x = random_input({B, T, C}, rng);
  for (bool elementwise : {true, false}) {
    const std::int64_t gates = elementwise ? C : H;
    Tensor w = random_input({gates, C}, rng), b = random_input({gates}, rng);
    expect_gradcheck("sigmoid", [=](const Inputs& in) {
      Tensor g = ops::sigmoid(ops::matmul(in[1], ops::transpose(in[2], 0, 1)) + in[3]);
      return in[0] * ops::reshape(g, {B, T, H, elementwise ? D : 1});
    }, {y, x, w, b});
  }
}

TEST(AttentionVariants, RegistersGradient) {
  Rng rng(132);
  const std::int64_t B = 2, R = 2, T = 3, C = 4;
  Tensor reg = random_input({R, C}, rng), x = random_input({B, T, C}, rng, true), w = random_input({C, C}, rng);
  expect_gradcheck("concat", [=](const Inputs& in) {
    Tensor seq = ops::concat({ops::expand(ops::reshape(in[0], {1, R, C}), {B, R, C}), in[1]}, 1);
    Tensor mixed = ops::causal_attention(ops::reshape(seq, {B, 1, R + T, C}), ops::reshape(ops::matmul(seq, in[2]), {B, 1, R + T, C}),
                                         ops::reshape(seq, {B, 1, R + T, C})).out;
    return ops::slice(ops::reshape(mixed, {B, R + T, C}), 1, R, R + T);
  }, {reg, x, w});
}

// Registers are visible to every token but never reach the output: logits keep T positions and
// the register vectors receive gradient only through attention.
TEST(AttentionVariants, RegistersAreSeenButTakeNoLoss) {
  nn::ModelConfig c;
  c.vocab_size = 20;
  c.context = 6;
  c.d_model = 8;
  c.n_layer = 1;
  c.n_head = 2;
  c.d_ff = 16;
  c.attention.registers = 3;
  nn::Transformer model(c, 1);
  Tensor ids = Tensor::from_vector<std::int32_t>({1, 2, 3, 4, 5, 6}, {1, 6});
  nn::Captures captures;
  captures.attention = true;
  Tensor logits = model.forward(ids, &captures);
  EXPECT_EQ(logits.shape(), (Shape{1, 6, 20}));
  EXPECT_EQ(captures.maps.at("blocks.0.attn").all().shape(), (Shape{1, 2, 9, 9}));
  backward(ops::sum(logits));
  Tensor reg_grad;
  for (const auto& [name, p] : model.named_parameters())
    if (name == "registers") reg_grad = p.grad();
  ASSERT_TRUE(reg_grad.defined());
  double norm = 0;
  for (float v : reg_grad.to_vector<float>()) norm += double(v) * v;
  EXPECT_GT(norm, 0.0);
}

}  // namespace
}  // namespace sinklab::testing
