#include "analysis/attention_metrics.h"

#include <algorithm>
#include <cmath>

namespace sinklab::analysis {

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
    double mass = 0, h = 0;
    for (std::int64_t j = 0; j <= i; ++j) {
      mass += row[j];
      if (row[j] > 0) h -= row[j] * std::log(static_cast<double>(row[j]));
    }
    s.row_mass += mass;
    s.entropy += h;
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

template MapStats map_stats<float>(const float*, std::int64_t, std::int64_t);
template MapStats map_stats<double>(const double*, std::int64_t, std::int64_t);
template std::vector<double> key_importance<float>(const float*, std::int64_t);
template std::vector<double> key_importance<double>(const double*, std::int64_t);

}  // namespace sinklab::analysis
