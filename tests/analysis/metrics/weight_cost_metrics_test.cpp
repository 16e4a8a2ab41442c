// The parameter sums of the weight-cost metric on a model whose every entry has a known value:
// each block's attention, MLP and norm gains, their block total, and the whole model.
#include <gtest/gtest.h>

#include "support/tiny_probe.h"

namespace sinklab::testing {
namespace {

TEST(WeightCostMetrics, ParameterSumsSplitTheBlockIntoAttentionMlpAndNorms) {
  TinyProbe s(0);  // d 16, d_ff 32, 2 layers, vocabulary 20, RMSNorm, SwiGLU, no biases, tied head
  for (auto& [name, p] : s.model.named_parameters()) {
    const double value = name.find(".attn.") != std::string::npos  ? 0.5
                         : name.find(".mlp.") != std::string::npos ? 0.25
                         : name.starts_with("blocks.")             ? 2.0
                                                                   : 1.0;
    copy_into(p, Tensor::full(p.shape(), value));
  }
  const auto r = s.run("weight costs");
  const double attn = 4 * 16 * 16 * 0.25;   // wq, wk, wv, wo
  const double mlp = 3 * 16 * 32 * 0.0625;  // w1, w2, w3
  const double norms = 2 * 16 * 4.0;        // norm1 and norm2 gains
  for (int l = 0; l < 2; ++l) {
    EXPECT_DOUBLE_EQ(r.at("attn_cost").at(l).get<double>(), attn);
    EXPECT_DOUBLE_EQ(r.at("mlp_cost").at(l).get<double>(), mlp);
    EXPECT_DOUBLE_EQ(r.at("norm_cost").at(l).get<double>(), norms);
    EXPECT_DOUBLE_EQ(r.at("block_cost").at(l).get<double>(), attn + mlp);
  }
  // Plus the token embedding (20 x 16, shared with the head) and the final norm's gain.
  EXPECT_DOUBLE_EQ(r.at("model_cost").get<double>(), 2 * (attn + mlp + norms) + 20 * 16 + 16);
}

}  // namespace
}  // namespace sinklab::testing
