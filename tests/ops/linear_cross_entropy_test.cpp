#include "ops/linear_cross_entropy.h"

#include <gtest/gtest.h>

#include "engine/parallel.h"
#include "ops/ops.h"
#include "support/gradcheck.h"

namespace sinklab::testing {
namespace {

using Inputs = std::vector<Tensor>;

TEST(LinearCrossEntropy, Gradient) {
  Rng rng(61);
  const Tensor x = random_input({2, 3, 4}, rng, true), w = random_input({7, 4}, rng);
  const Tensor targets = Tensor::from_vector<std::int32_t>({6, -100, 0, 2, 3, -100}, {2, 3});
  expect_gradcheck("linear_cross_entropy", [](const Inputs& in) { return ops::linear_cross_entropy(in[0], in[1], in[2]); },
                   {x, w, targets});
}

// The fused op against the two ops it replaces, in f32 on two threads, over several blocks of rows
// (the last one partial), with ignored targets and an upstream gradient other than 1.
TEST(LinearCrossEntropy, MatchesLinearThenCrossEntropyOverManyBlocks) {
  const int original = num_threads();
  set_num_threads(2);
  Rng rng(62);
  const std::int64_t rows = 300, C = 24, V = 97;
  std::vector<std::int32_t> t(rows);
  for (std::int64_t i = 0; i < rows; ++i) t[i] = i % 11 == 0 ? -100 : static_cast<std::int32_t>((i * 37) % V);
  const Tensor targets = Tensor::from_vector<std::int32_t>(t, {3, 100});
  const auto run = [&](bool fused) {
    Rng r(63);
    Tensor x = randn({3, 100, C}, r), w = randn({V, C}, r, 0.5);
    x.set_requires_grad();
    w.set_requires_grad();
    const Tensor loss = fused ? ops::linear_cross_entropy(x, w, targets) : ops::cross_entropy(ops::linear(x, w), targets);
    backward(loss * 0.5);
    return std::vector<std::vector<float>>{{static_cast<float>(loss.item())}, x.grad().to_vector<float>(), w.grad().to_vector<float>()};
  };
  const auto fused = run(true), plain = run(false);
  {
    NoGradGuard no_grad;
    Rng r(63);
    const Tensor x = randn({3, 100, C}, r), w = randn({V, C}, r, 0.5);
    EXPECT_NEAR(ops::linear_cross_entropy(x, w, targets).item(), plain[0][0], 1e-5);
  }
  set_num_threads(original);
  EXPECT_NEAR(fused[0][0], plain[0][0], 1e-5);
  for (std::size_t k = 1; k < 3; ++k) {
    ASSERT_EQ(fused[k].size(), plain[k].size());
    for (std::size_t i = 0; i < fused[k].size(); ++i) ASSERT_NEAR(fused[k][i], plain[k][i], 1e-6) << (k == 1 ? "dx " : "dW ") << i;
  }
}

// Degenerate and partial cases, each against linear then cross_entropy on two threads: every
// target ignored, an ignore_index inside [0, V), one feature, one class, no rows, and only the
// weight needing a gradient.
TEST(LinearCrossEntropy, EdgeCasesMatchTheTwoOps) {
  const int original = num_threads();
  set_num_threads(2);
  struct Case {
    std::int64_t rows, C, V;
    std::int32_t ignore_index;
    bool all_ignored, x_grad;
  };
  for (const Case& c : {Case{300, 8, 50, -100, true, true}, Case{300, 8, 50, 3, false, true}, Case{8192, 1, 5, -100, false, true},
                        Case{8192, 4, 1, -100, false, true}, Case{0, 8, 50, -100, false, true}, Case{300, 8, 50, -100, false, false}}) {
    std::vector<std::int32_t> t(static_cast<std::size_t>(c.rows));
    for (std::int64_t i = 0; i < c.rows; ++i) t[i] = c.all_ignored ? c.ignore_index : static_cast<std::int32_t>((i * 7) % c.V);
    const Tensor targets = Tensor::from_vector<std::int32_t>(t, {c.rows});
    const auto run = [&](bool fused) {
      Rng r(65);
      Tensor x = randn({c.rows, c.C}, r), w = randn({c.V, c.C}, r);
      if (c.x_grad) x.set_requires_grad();
      w.set_requires_grad();
      const Tensor loss = fused ? ops::linear_cross_entropy(x, w, targets, c.ignore_index)
                                : ops::cross_entropy(ops::linear(x, w), targets, c.ignore_index);
      backward(loss);
      std::vector<std::vector<float>> out{{static_cast<float>(loss.item())}, w.grad().to_vector<float>()};
      if (c.x_grad) out.push_back(x.grad().to_vector<float>());
      return out;
    };
    const auto fused = run(true), plain = run(false);
    const std::string name = "rows " + std::to_string(c.rows) + " C " + std::to_string(c.C) + " V " + std::to_string(c.V) +
                             " ignore " + std::to_string(c.ignore_index);
    ASSERT_EQ(fused.size(), plain.size()) << name;
    for (std::size_t k = 0; k < fused.size(); ++k) {
      ASSERT_EQ(fused[k].size(), plain[k].size()) << name;
      for (std::size_t i = 0; i < fused[k].size(); ++i) ASSERT_NEAR(fused[k][i], plain[k][i], 1e-5) << name << " output " << k << " " << i;
    }
    if (c.all_ignored) {
      EXPECT_EQ(fused[0][0], 0.0f);
    }
  }
  set_num_threads(original);
}

TEST(LinearCrossEntropy, RejectsMismatchedShapesAndTargets) {
  Rng rng(64);
  const Tensor x = randn({2, 3, 4}, rng), w = randn({5, 4}, rng);
  const auto message = [](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([&] { ops::linear_cross_entropy(x, randn({5, 3}, rng), Tensor::zeros({2, 3}, DType::i32)); })
                .find("does not match weight"), std::string::npos);
  EXPECT_NE(message([&] { ops::linear_cross_entropy(x, w, Tensor::zeros({3, 2}, DType::i32)); }).find("targets (3, 2)"),
            std::string::npos);
  EXPECT_NE(message([&] { ops::linear_cross_entropy(x, w, Tensor::full({2, 3}, 5, DType::i32)); }).find("outside [0, 5)"),
            std::string::npos);
}

}  // namespace
}  // namespace sinklab::testing
