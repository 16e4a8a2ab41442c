#include "train/train_step.h"

#include <gtest/gtest.h>

#include "data/batch.h"
#include "engine/rng.h"
#include "optim/adamw.h"

namespace sinklab::testing {
namespace {

// Random batches of a tiny model: what a step consumes.
struct RandomBatches : data::BatchSource {
  Rng rng{3};
  data::Batch next() override {
    std::vector<std::int32_t> ids(2 * 8), targets(2 * 8);
    for (auto& v : ids) v = static_cast<std::int32_t>(rng.below(16));
    for (auto& v : targets) v = static_cast<std::int32_t>(rng.below(16));
    return {Tensor::from_vector(ids, {2, 8}), Tensor::from_vector(targets, {2, 8}), Tensor()};
  }
  data::LoaderState state() const override { return {}; }
  void set_state(const data::LoaderState&) override {}
};

// A sync that stands in for an allreduce over two identical processes: the gradients doubled.
struct Doubling : train::GradientSync {
  explicit Doubling(std::vector<Tensor> p) : params(std::move(p)) {}
  std::vector<Tensor> params;
  int calls = 0;
  void sync(train::StepResult& step) override {
    ++calls;
    step.loss *= 2;  // the loss sum over the two processes
    for (const auto& p : params) {
      Tensor g = p.grad();
      float* d = g.data<float>();
      for (std::int64_t i = 0; i < g.numel(); ++i) d[i] *= 2;
    }
  }
};

nn::ModelConfig tiny() {
  nn::ModelConfig c;
  c.vocab_size = 16, c.context = 8, c.d_model = 16, c.n_layer = 1, c.n_head = 2, c.d_ff = 32;
  return c;
}

// The step syncs once, between backward and clipping: the norm it reports is of the synced
// gradients, and the update follows them.
TEST(TrainStep, SyncsTheGradientsOnceBeforeClippingAndTheUpdate) {
  nn::Transformer a(tiny(), 1), b(tiny(), 1);
  optim::AdamW oa(a.named_parameters(), {}), ob(b.named_parameters(), {});
  RandomBatches ba, bb;
  train::LocalGradients local;
  Doubling doubling(b.parameters());
  const auto ra = train::train_step(a, oa, ba, 2, 0, 1e-2, local);
  const auto rb = train::train_step(b, ob, bb, 2, 0, 1e-2, doubling);
  EXPECT_EQ(doubling.calls, 1);
  EXPECT_EQ(2 * ra.loss, rb.loss) << "the step reports the synced loss";
  EXPECT_NEAR(rb.grad_norm, 2 * ra.grad_norm, 1e-9 * ra.grad_norm);
  EXPECT_TRUE(ra.updated && rb.updated);
  for (const auto& p : a.parameters()) EXPECT_FALSE(p.grad().defined()) << "gradients are cleared for the next step";
}

// A batch without a counted target on any process (every share 0 after the sync) teaches nothing:
// the weights stay as they were.
TEST(TrainStep, NoCountedTargetAnywhereLeavesTheWeights) {
  struct NothingCounted : train::GradientSync {
    void sync(train::StepResult& step) override { step.share = 0; }
  } nothing;
  nn::Transformer model(tiny(), 1);
  optim::AdamW optimizer(model.named_parameters(), {});
  RandomBatches batches;
  const std::vector<float> before = model.parameters()[0].to_vector<float>();
  const auto r = train::train_step(model, optimizer, batches, 1, 0, 1e-2, nothing);
  EXPECT_FALSE(r.updated);
  EXPECT_EQ(model.parameters()[0].to_vector<float>(), before);
}

}  // namespace
}  // namespace sinklab::testing
