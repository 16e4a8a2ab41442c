// Transformer::loss, the path training takes, against cross_entropy(forward(ids)), the path the
// golden tests check against PyTorch: same loss and same gradient for every parameter.
#include <gtest/gtest.h>

#include "engine/parallel.h"
#include "nn/transformer.h"
#include "ops/ops.h"

namespace sinklab::testing {
namespace {

std::vector<std::vector<float>> loss_and_grads(const nn::ModelConfig& c, const Tensor& ids, const Tensor& targets, bool fused) {
  nn::Transformer model(c, 5);
  const Tensor loss = fused ? model.loss(ids, targets, -100) : ops::cross_entropy(model.forward(ids), targets, -100);
  backward(loss);
  std::vector<std::vector<float>> out{{static_cast<float>(loss.item())}};
  for (const auto& [name, p] : model.named_parameters()) out.push_back(p.grad().to_vector<float>());
  return out;
}

TEST(TransformerLoss, MatchesCrossEntropyOfTheLogitsTiedUntiedAndWithRegisters) {
  const int original = num_threads();
  set_num_threads(2);
  nn::ModelConfig c;
  c.vocab_size = 300;
  c.context = 40;
  c.d_model = 16;
  c.n_layer = 2;
  c.n_head = 2;
  c.d_ff = 32;
  std::vector<std::int32_t> ids(8 * 40), targets(8 * 40);  // 320 rows: three blocks over two threads
  for (std::size_t i = 0; i < ids.size(); ++i) {
    ids[i] = static_cast<std::int32_t>((i * 7 + 3) % 300);
    targets[i] = i % 9 == 0 ? -100 : static_cast<std::int32_t>((i * 13 + 1) % 300);
  }
  const Tensor tid = Tensor::from_vector(ids, {8, 40}), tt = Tensor::from_vector(targets, {8, 40});
  for (int variant = 0; variant < 3; ++variant) {
    nn::ModelConfig v = c;
    v.tie_embeddings = variant != 1;
    v.attention.registers = variant == 2 ? 2 : 0;
    const auto fused = loss_and_grads(v, tid, tt, true), plain = loss_and_grads(v, tid, tt, false);
    ASSERT_EQ(fused.size(), plain.size());
    EXPECT_NEAR(fused[0][0], plain[0][0], 1e-5) << "variant " << variant;
    for (std::size_t k = 1; k < fused.size(); ++k)
      for (std::size_t i = 0; i < fused[k].size(); ++i)
        ASSERT_NEAR(fused[k][i], plain[k][i], 1e-6 + 1e-4 * std::abs(plain[k][i])) << "variant " << variant << " parameter " << k;
  }
  set_num_threads(original);
}

}  // namespace
}  // namespace sinklab::testing
