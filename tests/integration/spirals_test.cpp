// End-to-end check of the engine: an MLP trained with plain SGD fits two interleaved spirals.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "engine/rng.h"
#include "ops/ops.h"

namespace sinklab {
namespace {

struct Spirals {
  Tensor points;  // (N, 2)
  Tensor labels;  // (N,) i32
};

Spirals make_spirals(std::int64_t per_class, Rng& rng) {
  std::vector<float> xy;
  std::vector<std::int32_t> labels;
  for (std::int32_t c = 0; c < 2; ++c)
    for (std::int64_t i = 0; i < per_class; ++i) {
      const double t = 0.25 + 2.75 * static_cast<double>(i) / static_cast<double>(per_class);  // radius, 1.5 turns
      const double angle = 1.5 * std::numbers::pi * t + c * std::numbers::pi;
      xy.push_back(static_cast<float>(t * std::cos(angle) + 0.02 * rng.normal()));
      xy.push_back(static_cast<float>(t * std::sin(angle) + 0.02 * rng.normal()));
      labels.push_back(c);
    }
  const auto n = static_cast<std::int64_t>(labels.size());
  return {Tensor::from_vector(xy, {n, 2}), Tensor::from_vector(labels, {n})};
}

TEST(Integration, MlpFitsTwoSpiralsWithSgd) {
  Rng rng(2024);
  const Spirals data = make_spirals(200, rng);
  const std::int64_t hidden = 64;
  std::vector<Tensor> params{randn({2, hidden}, rng, std::sqrt(2.0 / 2)), Tensor::zeros({hidden}),
                             randn({hidden, hidden}, rng, std::sqrt(2.0 / hidden)), Tensor::zeros({hidden}),
                             randn({hidden, 2}, rng, std::sqrt(1.0 / hidden)), Tensor::zeros({2})};
  for (auto& p : params) p.set_requires_grad();
  auto forward = [&](const Tensor& x) {
    Tensor h = ops::gelu(ops::matmul(x, params[0]) + params[1]);
    h = ops::gelu(ops::matmul(h, params[2]) + params[3]);
    return ops::matmul(h, params[4]) + params[5];
  };

  const double lr = 0.2;
  double loss = 0;
  for (int step = 0; step < 1500; ++step) {
    Tensor l = ops::cross_entropy(forward(data.points), data.labels);
    loss = l.item();
    backward(l);
    for (auto& p : params) {
      float* w = p.data<float>();
      const auto g = p.grad().to_vector<float>();
      for (std::size_t i = 0; i < g.size(); ++i) w[i] -= static_cast<float>(lr) * g[i];
      p.zero_grad();
    }
  }

  NoGradGuard no_grad;
  const Tensor logits = forward(data.points);
  const auto labels = data.labels.to_vector<std::int32_t>();
  int correct = 0;
  for (std::int64_t i = 0; i < logits.shape()[0]; ++i)
    correct += (logits.at({i, 1}) > logits.at({i, 0})) == (labels[i] == 1);
  const double accuracy = double(correct) / double(labels.size());
  EXPECT_GE(accuracy, 0.99) << "final loss " << loss;
}

}  // namespace
}  // namespace sinklab
