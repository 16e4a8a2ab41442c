// By-class attention statistics and the switch-off mechanism on hand-built maps.
#include "analysis/query_classes.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace sinklab::analysis {
namespace {

TEST(QueryClasses, SumsSplitTheQueriesAfterTheFirstByClass) {
  // One register (first = 1), then 3 tokens: N = 4. Rows are queries.
  const std::vector<float> map{1, 0, 0, 0,          // the register
                               0, 1, 0, 0,          // the first token (not counted)
                               0, 0.8f, 0.2f, 0,    // query 2: no attention needed
                               0, 0, 0.5f, 0.5f};   // query 3: needs attention
  const std::vector<std::int32_t> needs{0, 0, 1};  // per token: first, query 2, query 3
  const std::vector<float> gate{1, 1, 0.25f, 0.75f};
  ClassSums sums[2];
  add_class_sums(map.data(), 4, 1, needs.data(), gate.data(), sums);
  EXPECT_EQ(sums[0].queries, 1);
  EXPECT_NEAR(sums[0].first, 0.8, 1e-6);
  EXPECT_NEAR(sums[0].diag, 0.2, 1e-6);
  EXPECT_NEAR(sums[0].prev, 0.8, 1e-6);
  EXPECT_NEAR(sums[0].entropy, -(0.8 * std::log(0.8) + 0.2 * std::log(0.2)), 1e-6);
  EXPECT_NEAR(sums[0].gate, 0.25, 1e-6);
  EXPECT_EQ(sums[1].queries, 1);
  EXPECT_NEAR(sums[1].prev, 0.5, 1e-6);
  EXPECT_NEAR(sums[1].diag, 0.5, 1e-6);
  EXPECT_NEAR(sums[1].row_mass, 1.0, 1e-6);
  EXPECT_NEAR(sums[1].gate, 0.75, 1e-6);
}

TEST(QueryClasses, MechanismNamesWhereTheAttentionGoes) {
  auto sums = [](double first, double diag, double row_mass, double gate) {
    ClassSums s;
    s.queries = 2;
    s.first = 2 * first, s.diag = 2 * diag, s.row_mass = 2 * row_mass, s.gate = 2 * gate;
    return s;
  };
  EXPECT_EQ(mechanism(sums(0.9, 0.05, 1, 1), 0.3, false, false), "sink");
  EXPECT_EQ(mechanism(sums(0.2, 0.7, 1, 1), 0.3, false, false), "diagonal");
  EXPECT_EQ(mechanism(sums(0.2, 0.2, 1, 1), 0.3, false, false), "other") << "nothing above the threshold";
  EXPECT_EQ(mechanism(sums(0.05, 0.05, 0.1, 1), 0.3, true, false), "sink-logit");
  EXPECT_EQ(mechanism(sums(0.05, 0.05, 0.1, 1), 0.3, false, false), "other") << "no extra column without a sink logit";
  EXPECT_EQ(mechanism(sums(0.9, 0.05, 1, 0.05), 0.3, false, true), "gate") << "a closed gate switches the head off";
  EXPECT_EQ(mechanism(sums(0.9, 0.05, 1, 0.5), 0.3, false, true), "sink");
  EXPECT_EQ(mechanism(ClassSums{}, 0.3, false, false), "other");
}

}  // namespace
}  // namespace sinklab::analysis
