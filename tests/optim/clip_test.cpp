#include "optim/clip.h"

#include <gtest/gtest.h>

#include <cmath>

#include "engine/parallel.h"
#include "engine/rng.h"
#include "ops/ops.h"

namespace sinklab {
namespace {

// The norm is summed per piece in a fixed order: the same bits at one thread and at two; over the
// threshold every gradient is scaled to it.
TEST(Clip, NormIsTheSameAtAnyThreadCountAndClipsToTheThreshold) {
  const auto params = [] {
    Rng rng(71);
    std::vector<Tensor> ps;
    for (const Shape& s : {Shape{70000}, Shape{3}, Shape{256, 300}}) {
      Tensor p = randn(s, rng);
      p.set_requires_grad();
      backward(ops::sum(p * randn(s, rng)));  // the gradient is that random tensor
      ps.push_back(p);
    }
    return ps;
  };
  const int original = num_threads();
  std::vector<double> norms;
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    norms.push_back(optim::clip_grad_norm(params(), 0.0));
  }
  set_num_threads(original);
  EXPECT_EQ(norms[0], norms[1]);
  double want = 0;
  for (const auto& p : params())
    for (float v : p.grad().to_vector<float>()) want += double(v) * v;
  EXPECT_NEAR(norms[0], std::sqrt(want), 1e-6 * std::sqrt(want));

  const auto ps = params();
  const double before = optim::clip_grad_norm(ps, 1.0);
  EXPECT_NEAR(before, norms[0], 1e-9 * before);
  EXPECT_NEAR(optim::clip_grad_norm(ps, 0.0), 1.0, 1e-5);
}

}  // namespace
}  // namespace sinklab
