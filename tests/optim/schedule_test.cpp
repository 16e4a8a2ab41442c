#include "optim/schedule.h"

#include <gtest/gtest.h>

#include "train/config.h"

namespace sinklab {
namespace {

TEST(Schedule, WarmsUpFollowsTheCosineAndHoldsTheFloorAfterIt) {
  const optim::Schedule s{1.0, 0.1, 10, 110};
  EXPECT_DOUBLE_EQ(s.at(0), 0.1);
  EXPECT_DOUBLE_EQ(s.at(9), 1.0);
  EXPECT_DOUBLE_EQ(s.at(10), 1.0);
  EXPECT_DOUBLE_EQ(s.at(60), 0.55);  // half way down the cosine
  EXPECT_DOUBLE_EQ(s.at(110), 0.1);
  EXPECT_DOUBLE_EQ(s.at(5000), 0.1);
}

// optim.decay_steps moves the cosine's end; 0 ends it at train.steps.
TEST(Schedule, DecayStepsEndsTheCosineBeforeTrainSteps) {
  train::Config c;
  c.optim.lr = 1.0;
  c.optim.min_lr = 0.1;
  c.optim.warmup = 0;
  c.train.steps = 400;
  EXPECT_EQ(c.schedule().steps, 400);
  EXPECT_GT(c.schedule().at(300), 0.1);
  c.optim.decay_steps = 300;
  EXPECT_EQ(c.schedule().steps, 300);
  EXPECT_DOUBLE_EQ(c.schedule().at(300), 0.1);
  EXPECT_DOUBLE_EQ(c.schedule().at(399), 0.1);
  EXPECT_DOUBLE_EQ(c.schedule().at(150), 0.55);
}

}  // namespace
}  // namespace sinklab
