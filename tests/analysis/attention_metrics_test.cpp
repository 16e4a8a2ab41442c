#include "analysis/attention_metrics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "analysis/residual_metrics.h"
#include "engine/rng.h"

namespace sinklab::analysis {
namespace {

std::vector<double> causal_map(std::int64_t n, double (*value)(std::int64_t i, std::int64_t j)) {
  std::vector<double> a(static_cast<std::size_t>(n * n), 0.0);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j <= i; ++j) a[i * n + j] = value(i, j);
  return a;
}

TEST(AttentionMetrics, PureSinkHasScoreOne) {
  const auto a = causal_map(16, [](std::int64_t, std::int64_t j) { return j == 0 ? 1.0 : 0.0; });
  const auto s = map_stats(a.data(), 16, 0);
  EXPECT_DOUBLE_EQ(s.sink_score, 1.0);
  EXPECT_DOUBLE_EQ(s.first_mass, 1.0);
  EXPECT_DOUBLE_EQ(s.diag_score, 0.0);
  EXPECT_DOUBLE_EQ(s.entropy, 0.0);
}

TEST(AttentionMetrics, IdentityHasDiagonalScoreOne) {
  const auto a = causal_map(16, [](std::int64_t i, std::int64_t j) { return i == j ? 1.0 : 0.0; });
  const auto s = map_stats(a.data(), 16, 0);
  EXPECT_DOUBLE_EQ(s.diag_score, 1.0);
  EXPECT_DOUBLE_EQ(s.first_mass, 0.0);
  EXPECT_DOUBLE_EQ(s.sink_score, 1.0 / 16);  // only the first query sees the first key alone
}

TEST(AttentionMetrics, UniformCausalMatchesClosedForms) {
  const std::int64_t n = 32;
  const auto a = causal_map(n, [](std::int64_t i, std::int64_t) { return 1.0 / static_cast<double>(i + 1); });
  double harmonic = 0, log_sum = 0;
  for (std::int64_t i = 1; i <= n; ++i) harmonic += 1.0 / static_cast<double>(i);
  for (std::int64_t i = 2; i <= n; ++i) log_sum += std::log(static_cast<double>(i));
  const auto s = map_stats(a.data(), n, 0);
  EXPECT_NEAR(s.sink_score, harmonic / n, 1e-12);                 // (1/n) sum_i 1/(i+1)
  EXPECT_NEAR(s.first_mass, (harmonic - 1) / (n - 1), 1e-12);     // queries after the first
  EXPECT_NEAR(s.diag_score, (harmonic - 1) / (n - 1), 1e-12);
  EXPECT_NEAR(s.entropy, log_sum / (n - 1), 1e-12);               // row i has entropy ln(i+1)
  EXPECT_NEAR(s.row_mass, 1.0, 1e-12);
  const auto alpha = key_importance(a.data(), n);
  double tail = 0;
  for (std::int64_t i = n - 1; i >= 5; --i) tail += 1.0 / static_cast<double>(i + 1);
  EXPECT_NEAR(alpha[5], tail / (n - 5), 1e-12);
}

TEST(AttentionMetrics, RegistersShiftTheFirstTokenAndCountTheirMass) {
  // Two registers each take a quarter of every row; the first token (position 2) half.
  const std::int64_t n = 8, first = 2;
  std::vector<double> a(n * n, 0.0);
  for (std::int64_t i = 0; i < n; ++i) {
    if (i < first) {
      a[i * n + i] = 1;
      continue;
    }
    a[i * n + 0] = a[i * n + 1] = 0.25;
    a[i * n + first] = 0.5;
  }
  const auto s = map_stats(a.data(), n, first);
  EXPECT_DOUBLE_EQ(s.register_mass, 0.5);
  EXPECT_DOUBLE_EQ(s.first_mass, 0.5);
  EXPECT_DOUBLE_EQ(s.sink_score, 0.5);
}

TEST(AttentionMetrics, QuantileInterpolatesLikeNumpy) {
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4, 5}, 0.9), 4.6);
}

TEST(ResidualMetrics, FastPairwiseCosineEqualsTheExplicitMean) {
  Rng rng(5);
  const std::int64_t n = 12, d = 7, first = 1;
  std::vector<float> h(n * d);
  for (auto& v : h) v = static_cast<float>(rng.normal() + 0.3);
  double sum = 0;
  int pairs = 0;
  for (std::int64_t i = first + 1; i < n; ++i)
    for (std::int64_t j = first + 1; j < n; ++j) {
      if (i == j) continue;
      double dot = 0, ni = 0, nj = 0;
      for (std::int64_t c = 0; c < d; ++c) {
        dot += double(h[i * d + c]) * h[j * d + c];
        ni += double(h[i * d + c]) * h[i * d + c];
        nj += double(h[j * d + c]) * h[j * d + c];
      }
      sum += dot / std::sqrt(ni * nj);
      ++pairs;
    }
  EXPECT_NEAR(mean_pairwise_cosine(h.data(), n, d, first), sum / pairs, 1e-9);
}

TEST(ResidualMetrics, FirstTokenStats) {
  // First token (3, 0); the others (1, 0), (0, 2), (-1, 0): cosines 1, 0, -1; norms 1, 2, 1.
  const std::vector<float> h{3, 0, 1, 0, 0, 2, -1, 0};
  const auto s = first_token_stats(h.data(), 4, 2, 0);
  EXPECT_NEAR(s.cosine, 0.0, 1e-12);
  EXPECT_NEAR(s.norm_ratio, 3.0, 1e-12);
}

}  // namespace
}  // namespace sinklab::analysis
