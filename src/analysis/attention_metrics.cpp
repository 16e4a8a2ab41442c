#include "analysis/attention_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <Eigen/Core>

namespace sinklab::analysis {

template <class T>
double row_entropy(const T* row, std::int64_t n) {
  // In T, in chunks summed in double: a cast inside the expression would keep Eigen from
  // vectorising the logs. A zero weight's log is taken at the smallest normal number: 0 · finite = 0.
  constexpr std::int64_t chunk = 256;
  double h = 0;
  for (std::int64_t c = 0; c < n; c += chunk) {
    const Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>> p(row + c, std::min(chunk, n - c));
    h -= static_cast<double>((p * p.max(std::numeric_limits<T>::min()).log()).sum());
  }
  return h;
}

template <class T>
MapStats map_stats(const T* a, std::int64_t n, std::int64_t first) {
  MapStats s;
  for (std::int64_t i = first; i < n; ++i) s.sink_score += a[i * n + first];
  s.sink_score /= static_cast<double>(n - first);
  const std::int64_t queries = n - first - 1;
  if (queries <= 0) return s;
  for (std::int64_t i = first + 1; i < n; ++i) {
    const T* row = a + i * n;
    s.first_mass += row[first];
    for (std::int64_t r = 0; r < first; ++r) s.register_mass += row[r];
    s.diag_score += row[i];
    double mass = 0;
    for (std::int64_t j = 0; j <= i; ++j) mass += row[j];
    s.row_mass += mass;
    s.entropy += row_entropy(row, i + 1);
  }
  for (double* v : {&s.first_mass, &s.register_mass, &s.row_mass, &s.diag_score, &s.entropy}) *v /= static_cast<double>(queries);
  return s;
}

template <class T>
std::vector<double> key_importance(const T* a, std::int64_t n) {
  std::vector<double> alpha(static_cast<std::size_t>(n), 0.0);
  for (std::int64_t k = 0; k < n; ++k) {
    for (std::int64_t i = k; i < n; ++i) alpha[k] += a[i * n + k];
    alpha[k] /= static_cast<double>(n - k);
  }
  return alpha;
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

template double row_entropy<float>(const float*, std::int64_t);
template double row_entropy<double>(const double*, std::int64_t);
template MapStats map_stats<float>(const float*, std::int64_t, std::int64_t);
template MapStats map_stats<double>(const double*, std::int64_t, std::int64_t);
template std::vector<double> key_importance<float>(const float*, std::int64_t);
template std::vector<double> key_importance<double>(const double*, std::int64_t);

}  // namespace sinklab::analysis
