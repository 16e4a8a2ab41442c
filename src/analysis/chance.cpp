#include "analysis/chance.h"

#include <cmath>

namespace sinklab::analysis::chance {
namespace {

// Σ_{i=from}^{to-1} f(i) over query positions, as a mean.
template <class F>
double mean_over(std::int64_t from, std::int64_t to, F f) {
  if (to <= from) return 0;
  double s = 0;
  for (std::int64_t i = from; i < to; ++i) s += f(static_cast<double>(i));
  return s / static_cast<double>(to - from);
}

}  // namespace

double sink_score(const ProbeShape& p) {
  return mean_over(p.first, p.positions, [](double i) { return 1 / (i + 1); });
}

double later_query_mean(const ProbeShape& p) {
  return mean_over(p.first + 1, p.positions, [](double i) { return 1 / (i + 1); });
}

double register_mass(const ProbeShape& p) {
  const auto first = static_cast<double>(p.first);
  return mean_over(p.first + 1, p.positions, [first](double i) { return first / (i + 1); });
}

double entropy(const ProbeShape& p) {
  return mean_over(p.first + 1, p.positions, [](double i) { return std::log(i + 1); });
}

double sink_rate(const ProbeShape& p, double eps) { return sink_score(p) > eps ? 1 : 0; }

double diag_rate(const ProbeShape& p, double eps) { return later_query_mean(p) > eps ? 1 : 0; }

}  // namespace sinklab::analysis::chance
