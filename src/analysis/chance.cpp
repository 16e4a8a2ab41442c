#include "analysis/chance.h"

#include <cmath>

namespace sinklab::analysis::chance {
namespace {

// mean_{i=from}^{to-1} f(i) over query positions.
template <class F>
double mean_over(std::int64_t from, std::int64_t to, F f) {
  if (to <= from) return 0;
  double s = 0;
  for (std::int64_t i = from; i < to; ++i) s += f(i);
  return s / static_cast<double>(to - from);
}

// Whether the mask hides key j from query i (the first query always keeps its one key).
bool hidden(const ProbeShape& p, std::int64_t i, std::int64_t j) {
  if (i == 0) return false;
  return (p.mask == ops::KeyMask::no_first && j == 0) || (p.mask == ops::KeyMask::no_self && j == i);
}

}  // namespace

std::int64_t keys(const ProbeShape& p, std::int64_t i) { return i + 1 - (i > 0 && p.mask != ops::KeyMask::causal ? 1 : 0); }

double uniform(const ProbeShape& p, std::int64_t i, std::int64_t j) {
  return j > i || hidden(p, i, j) ? 0.0 : 1.0 / static_cast<double>(keys(p, i));
}

double sink_score(const ProbeShape& p) {
  return mean_over(p.first, p.positions, [&](std::int64_t i) { return uniform(p, i, p.first); });
}

double first_mass(const ProbeShape& p) {
  return mean_over(p.first + 1, p.positions, [&](std::int64_t i) { return uniform(p, i, p.first); });
}

double diag_score(const ProbeShape& p) {
  return mean_over(p.first + 1, p.positions, [&](std::int64_t i) { return uniform(p, i, i); });
}

double register_mass(const ProbeShape& p) {
  return mean_over(p.first + 1, p.positions, [&](std::int64_t i) {
    double s = 0;
    for (std::int64_t j = 0; j < p.first; ++j) s += uniform(p, i, j);
    return s;
  });
}

double entropy(const ProbeShape& p) {
  return mean_over(p.first + 1, p.positions, [&](std::int64_t i) { return std::log(static_cast<double>(keys(p, i))); });
}

double sink_rate(const ProbeShape& p, double eps) { return sink_score(p) > eps ? 1 : 0; }

double diag_rate(const ProbeShape& p, double eps) { return diag_score(p) > eps ? 1 : 0; }

}  // namespace sinklab::analysis::chance
