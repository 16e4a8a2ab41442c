#include "optim/flat_gradients.h"

#include <gtest/gtest.h>

#include "engine/rng.h"
#include "ops/ops.h"

namespace sinklab {
namespace {

// Gradients go into one buffer parameter after parameter (zeros for a parameter without one) and
// come back unchanged; a change made in the buffer (what an allreduce does) reaches every gradient.
TEST(FlatGradients, GatherLaysGradientsEndToEndAndScatterWritesThemBack) {
  Rng rng(5);
  std::vector<Tensor> params;
  for (const Shape& s : {Shape{3, 4}, Shape{5}, Shape{2, 2}}) params.push_back(randn(s, rng).set_requires_grad());
  backward(ops::sum(params[0] * 2.0) + ops::sum(params[2] * params[2]));  // params[1] gets no gradient
  optim::FlatGradients flat(params);
  const auto buffer = flat.gather();
  ASSERT_EQ(buffer.size(), 12u + 5u + 4u);
  for (std::size_t i = 0; i < 12; ++i) EXPECT_EQ(buffer[i], 2.0f);
  for (std::size_t i = 12; i < 17; ++i) EXPECT_EQ(buffer[i], 0.0f);
  const auto p2 = params[2].to_vector<float>();
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(buffer[17 + i], 2 * p2[i]);
  for (float& v : buffer) v *= 3;
  flat.scatter();
  EXPECT_EQ(params[0].grad().to_vector<float>(), std::vector<float>(12, 6.0f));
  EXPECT_EQ(params[1].grad().to_vector<float>(), std::vector<float>(5, 0.0f));
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(params[2].grad().to_vector<float>()[i], 6 * p2[i]);
}

}  // namespace
}  // namespace sinklab
