#include "analysis/residual_metrics.h"

#include <cmath>
#include <vector>

#include "analysis/attention_metrics.h"

namespace sinklab::analysis {
namespace {

double norm(const float* v, std::int64_t d) {
  double s = 0;
  for (std::int64_t c = 0; c < d; ++c) s += static_cast<double>(v[c]) * v[c];
  return std::sqrt(s);
}

}  // namespace

double mean_pairwise_cosine(const float* h, std::int64_t n, std::int64_t d, std::int64_t first) {
  const std::int64_t count = n - first - 1;
  if (count < 2) return 0;
  std::vector<double> sum(static_cast<std::size_t>(d), 0.0);
  for (std::int64_t i = first + 1; i < n; ++i) {
    const double inv = 1.0 / std::max(norm(h + i * d, d), 1e-30);
    for (std::int64_t c = 0; c < d; ++c) sum[c] += h[i * d + c] * inv;
  }
  double sq = 0;
  for (double v : sum) sq += v * v;
  const auto m = static_cast<double>(count);
  return (sq - m) / (m * (m - 1));
}

std::vector<double> first_token_cosines(const float* h, std::int64_t n, std::int64_t d, std::int64_t first) {
  std::vector<double> out;
  const float* f = h + first * d;
  const double nf = norm(f, d);
  for (std::int64_t i = first + 1; i < n; ++i) {
    double dot = 0;
    for (std::int64_t c = 0; c < d; ++c) dot += static_cast<double>(f[c]) * h[i * d + c];
    out.push_back(dot / std::max(nf * norm(h + i * d, d), 1e-30));
  }
  return out;
}

FirstTokenStats first_token_stats(const float* h, std::int64_t n, std::int64_t d, std::int64_t first) {
  FirstTokenStats s;
  if (n - first - 1 < 1) return s;
  for (double c : first_token_cosines(h, n, d, first)) s.cosine += c / static_cast<double>(n - first - 1);
  std::vector<double> norms;
  for (std::int64_t i = first + 1; i < n; ++i) norms.push_back(norm(h + i * d, d));
  s.norm_ratio = norm(h + first * d, d) / std::max(quantile(norms, 0.5), 1e-30);
  return s;
}

}  // namespace sinklab::analysis
