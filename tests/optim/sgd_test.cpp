#include "optim/sgd.h"

#include <gtest/gtest.h>

#include "optim/optim_config.h"

namespace sinklab {
namespace {

// A 2x2 matrix (decays under the default policy) and a bias (does not), with fixed gradients.
struct Params {
  Tensor w = Tensor::from_vector<float>({1.0f, -2.0f, 0.5f, 4.0f}, {2, 2});
  Tensor b = Tensor::from_vector<float>({3.0f, -1.0f}, {2});
  nn::NamedTensors named() const { return {{"w", w}, {"b", b}}; }
  void set_grads(float scale) {
    w.set_grad(Tensor::from_vector<float>({0.1f * scale, 0.2f * scale, -0.3f * scale, 0.4f * scale}, {2, 2}));
    b.set_grad(Tensor::from_vector<float>({-0.5f * scale, 0.25f * scale}, {2}));
  }
};

// torch.optim.SGD(momentum=mu, weight_decay=wd), written out: d = g + wd * p (decayed tensors only),
// buf = mu * buf + d (buf = d on the first step), p -= lr * buf.
TEST(Sgd, MomentumAndL2DecayFollowTorchsFormula) {
  Params ps;
  optim::Sgd sgd(ps.named(), {0.9}, {0.1, optim::DecayPolicy::matrices});
  std::vector<double> w(4), b(2), wbuf(4, 0.0), bbuf(2, 0.0);
  for (std::size_t i = 0; i < 4; ++i) w[i] = ps.w.to_vector<float>()[i];
  for (std::size_t i = 0; i < 2; ++i) b[i] = ps.b.to_vector<float>()[i];
  const std::vector<double> gw{0.1, 0.2, -0.3, 0.4}, gb{-0.5, 0.25};
  for (int step = 1; step <= 3; ++step) {
    const double lr = 0.5 / step;
    ps.set_grads(static_cast<float>(step));
    sgd.step(lr);
    for (std::size_t i = 0; i < 4; ++i) {
      wbuf[i] = 0.9 * wbuf[i] + (gw[i] * step + 0.1 * w[i]);
      w[i] -= lr * wbuf[i];
    }
    for (std::size_t i = 0; i < 2; ++i) {
      bbuf[i] = 0.9 * bbuf[i] + gb[i] * step;  // a vector does not decay under `matrices`
      b[i] -= lr * bbuf[i];
    }
    const auto got_w = ps.w.to_vector<float>(), got_b = ps.b.to_vector<float>();
    for (std::size_t i = 0; i < 4; ++i) EXPECT_NEAR(got_w[i], w[i], 1e-5) << "w[" << i << "] after step " << step;
    for (std::size_t i = 0; i < 2; ++i) EXPECT_NEAR(got_b[i], b[i], 1e-5) << "b[" << i << "] after step " << step;
  }
  EXPECT_EQ(sgd.steps(), 3);
}

TEST(Sgd, WithoutMomentumItIsPlainGradientDescentAndKeepsNoState) {
  Params ps;
  optim::Sgd sgd(ps.named(), {0.0}, {0.5, optim::DecayPolicy::all});
  ps.set_grads(1.0f);
  sgd.step(0.1);
  EXPECT_TRUE(sgd.state().empty());
  const auto w = ps.w.to_vector<float>(), b = ps.b.to_vector<float>();
  EXPECT_FLOAT_EQ(w[1], -2.0f - 0.1f * (0.2f + 0.5f * -2.0f));
  EXPECT_FLOAT_EQ(b[0], 3.0f - 0.1f * (-0.5f + 0.5f * 3.0f));  // `all` decays the bias too
}

// The momentum buffers go through a checkpoint: a restored optimizer takes the same next step.
TEST(Sgd, StateRoundTripsAndIsCheckedByName) {
  Params a, b;
  optim::Sgd first(a.named(), {0.9}), second(b.named(), {0.9});
  a.set_grads(1.0f);
  first.step(0.1);
  const auto state = first.state();
  ASSERT_EQ(state.size(), 2u);
  EXPECT_EQ(state[0].first, "momentum.w");
  copy_into(b.w, a.w);
  copy_into(b.b, a.b);
  second.load_state(state, first.steps(), "opt.safetensors");
  a.set_grads(2.0f);
  b.set_grads(2.0f);
  first.step(0.1);
  second.step(0.1);
  EXPECT_EQ(a.w.to_vector<float>(), b.w.to_vector<float>());
  EXPECT_EQ(a.b.to_vector<float>(), b.b.to_vector<float>());

  optim::AdamW adamw(Params{}.named(), {});
  try {
    adamw.load_state(state, 1, "opt.safetensors");
    ADD_FAILURE() << "AdamW loaded SGD's momentum";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "opt.safetensors: optimizer state has no 'm.w'");
  }
}

TEST(Sgd, TheConfigNamesTheOptimizerAndItsState) {
  optim::OptimConfig config;
  Params ps;
  EXPECT_EQ(optim::make_optimizer(ps.named(), config)->state().size(), 4u);  // AdamW: m and v
  EXPECT_EQ(optim::state_buffers(config), 2);
  config.name = optim::Algorithm::sgd;
  EXPECT_NE(dynamic_cast<optim::Sgd*>(optim::make_optimizer(ps.named(), config).get()), nullptr);
  EXPECT_EQ(optim::state_buffers(config), 1);
  config.sgd.momentum = 0;
  EXPECT_EQ(optim::state_buffers(config), 0);
}

}  // namespace
}  // namespace sinklab
