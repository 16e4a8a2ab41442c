#include "engine/autograd.h"

#include <gtest/gtest.h>

#include "ops/ops.h"

namespace sinklab {
namespace {

Tensor param(std::vector<double> v, Shape shape) {
  Tensor t = Tensor::from_vector(v, shape);
  t.set_requires_grad();
  return t;
}

TEST(Autograd, SharedInputsAccumulate) {
  Tensor x = param({3.0}, {});
  Tensor y = x * x + x;  // dy/dx = 2x + 1
  backward(y);
  EXPECT_DOUBLE_EQ(x.grad().item(), 7.0);
}

TEST(Autograd, LeafGradAccumulatesAcrossBackwardCalls) {
  Tensor x = param({2.0}, {});
  backward(x * 3.0);
  backward(x * 3.0);
  EXPECT_DOUBLE_EQ(x.grad().item(), 6.0);
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
}

TEST(Autograd, NoGradGuardRecordsNothing) {
  Tensor x = param({2.0}, {});
  {
    NoGradGuard guard;
    Tensor y = x * x;
    EXPECT_FALSE(y.requires_grad());
    EXPECT_EQ(y.grad_fn(), nullptr);
  }
  EXPECT_TRUE((x * x).requires_grad());
}

TEST(Autograd, OnlyNodesThatNeedGradientsRun) {
  Tensor x = param({1.0, 2.0}, {2});
  Tensor c = Tensor::from_vector<double>({5.0, 6.0}, {2});  // a constant
  Tensor y = ops::sum(x * c);
  ASSERT_NE(y.grad_fn(), nullptr);
  EXPECT_EQ((c * c).grad_fn(), nullptr);  // constants build no graph
  backward(y);
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{5.0, 6.0}));
  EXPECT_FALSE(c.grad().defined());
}

TEST(Autograd, GraphIsFreedAfterBackward) {
  Tensor x = param({1.0}, {});
  Tensor h = x * 2.0;
  Tensor y = h * h;
  std::weak_ptr<TensorImpl> saved_input = y.grad_fn()->inputs[0].impl_ptr();
  backward(y);
  EXPECT_TRUE(y.grad_fn()->inputs.empty());
  EXPECT_THROW(backward(y), Error);
  h = Tensor();
  EXPECT_TRUE(saved_input.expired());
}

TEST(Autograd, DeepChainsNeedNoRecursion) {
  Tensor x = param({1.0}, {});
  Tensor y = x;
  for (int i = 0; i < 200000; ++i) y = y + 0.0;
  backward(y);
  EXPECT_DOUBLE_EQ(x.grad().item(), 1.0);
}

TEST(Autograd, NonScalarRootNeedsAGradient) {
  Tensor x = param({1.0, 2.0}, {2});
  Tensor y = x * 2.0;
  EXPECT_THROW(backward(y), Error);
  backward(y, Tensor::from_vector<double>({1.0, 10.0}, {2}));
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{2.0, 20.0}));
}

TEST(Autograd, GradientThroughViewsOfOneTensor) {
  Tensor x = param({1, 2, 3, 4}, {2, 2});
  Tensor y = ops::sum(ops::transpose(x, 0, 1) * x);  // sum_ij x_ji x_ij
  backward(y);
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{2, 6, 4, 8}));
}

// Gradients are kept without a copy only when nothing else can see them: a caller's seed, or one
// tensor handed to several inputs, must not become (or be summed into as) a .grad.
TEST(Autograd, LeafGradientsNeverAliasOtherTensors) {
  Tensor w = param({1, 2, 3, 4}, {2, 2});
  Tensor seed = Tensor::from_vector<double>({1, 1, 1, 1}, {4});
  backward(ops::reshape(w, {4}), seed);  // reshape's backward returns a view of the seed
  copy_into(seed, Tensor::full({4}, 5.0, DType::f64));
  EXPECT_EQ(w.grad().to_vector<double>(), (std::vector<double>{1, 1, 1, 1}));

  Tensor a = param({1, 2}, {2}), b = param({3, 4}, {2});
  backward(ops::sum(ops::add(a, b) * 3.0));  // add hands one gradient tensor to both inputs
  EXPECT_EQ(a.grad().to_vector<double>(), (std::vector<double>{3, 3}));
  EXPECT_EQ(b.grad().to_vector<double>(), (std::vector<double>{3, 3}));
  EXPECT_NE(a.grad().raw_data(), b.grad().raw_data());

  Tensor x = param({2.0, 5.0}, {2});
  backward(ops::sum(ops::add(x, x) + x));  // three contributions, two of them the same tensor
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{3, 3}));

  // mean's backward hands back a zero-stride view; when it arrives first, the next gradient must
  // not be summed into it in place (all four elements would become one).
  Tensor y = param({1, 2, 3, 4}, {4});
  Tensor h = y * 1.0;
  backward(ops::sum(h * h) + ops::mean(h));
  EXPECT_EQ(y.grad().to_vector<double>(), (std::vector<double>{2.25, 4.25, 6.25, 8.25}));
}

}  // namespace
}  // namespace sinklab
