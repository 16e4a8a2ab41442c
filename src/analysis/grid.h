#pragma once
// [layer][head] grids of doubles, as metrics build them, and the means that summarise a grid or a
// per-layer list (in analysis.csv and in compare), from values or from a record's JSON.
#include <cstdint>
#include <vector>

namespace sinklab::analysis {

using Grid = std::vector<std::vector<double>>;  // [layer][head]

inline Grid grid(std::int64_t layers, std::int64_t heads) {
  return Grid(static_cast<std::size_t>(layers), std::vector<double>(static_cast<std::size_t>(heads), 0.0));
}

inline double mean_of(const Grid& g) {
  double s = 0;
  std::size_t n = 0;
  for (const auto& row : g)
    for (double v : row) s += v, ++n;
  return n ? s / static_cast<double>(n) : 0;
}

inline std::vector<double> flat(const Grid& g) {
  std::vector<double> out;
  for (const auto& row : g) out.insert(out.end(), row.begin(), row.end());
  return out;
}

// Mean of a JSON [layer][head] grid (0 when empty).
template <class J>
double grid_mean(const J& g) {
  double s = 0;
  std::size_t n = 0;
  for (const auto& row : g)
    for (const auto& v : row) s += v.template get<double>(), ++n;
  return n ? s / static_cast<double>(n) : 0;
}

// Mean of a JSON list (0 when empty).
template <class J>
double list_mean(const J& values) {
  double s = 0;
  for (const auto& v : values) s += v.template get<double>();
  return values.empty() ? 0 : s / static_cast<double>(values.size());
}

}  // namespace sinklab::analysis
