#pragma once
// Per-head statistics of attention maps (docs/metrics.md defines each). Maps are (N, N) row-major
// with queries as rows, N = registers + tokens; `first` is the first token's position (BOS), which
// is the number of registers.
#include <cstdint>
#include <vector>

namespace sinklab::analysis {

struct MapStats {
  double sink_score = 0;   // alpha_first = mean_{i >= first} A[i][first]
  double first_mass = 0;   // mean_{i > first} A[i][first]
  double register_mass = 0;  // mean_{i > first} sum_{r < first} A[i][r]
  double row_mass = 0;     // mean_{i > first} sum_j A[i][j] (< 1 with a sink logit or unnormalised sigmoid)
  double diag_score = 0;   // mean_{i > first} A[i][i]
  double entropy = 0;      // mean_{i > first} -sum_j A[i][j] ln A[i][j]
};

// -sum_j p_j ln p_j over a row's n weights (zeros add nothing), summed in double. The logs go
// through Eigen's vectorised ones: at long probes they were most of an analysis.
template <class T>
double row_entropy(const T* row, std::int64_t n);

// One map (float or double entries).
template <class T>
MapStats map_stats(const T* map, std::int64_t n, std::int64_t first);

// Key importance alpha_k = mean_{i >= k} A[i][k] for every key k.
template <class T>
std::vector<double> key_importance(const T* map, std::int64_t n);

// The q-quantile (0..1) of values, linear interpolation (numpy's default).
double quantile(std::vector<double> values, double q);

}  // namespace sinklab::analysis
