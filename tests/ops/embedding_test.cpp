#include "ops/embedding.h"

#include <gtest/gtest.h>

#include "support/gradcheck.h"

namespace sinklab::testing {
namespace {

using Inputs = std::vector<Tensor>;

TEST(Embedding, GradientWithRepeatedIds) {
  Rng rng(91);
  Tensor w = random_input({6, 4}, rng, true);
  Tensor ids = Tensor::from_vector<std::int32_t>({0, 5, 2, 5, 5, 1}, {2, 3});
  expect_gradcheck("embedding", [](const Inputs& in) { return ops::embedding(in[0], in[1]); }, {w, ids});
}

TEST(Embedding, ForwardAndRangeErrors) {
  Tensor w = Tensor::from_vector<float>({0, 1, 10, 11, 20, 21}, {3, 2});
  Tensor ids = Tensor::from_vector<std::int32_t>({2, 0}, {2});
  EXPECT_EQ(ops::embedding(w, ids).to_vector<float>(), (std::vector<float>{20, 21, 0, 1}));
  EXPECT_THROW(ops::embedding(w, Tensor::from_vector<std::int32_t>({3}, {1})), Error);
  EXPECT_THROW(ops::embedding(w, Tensor::from_vector<float>({1}, {1})), Error);
}

}  // namespace
}  // namespace sinklab::testing
