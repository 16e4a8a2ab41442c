#pragma once
// Statistics of residual-stream states h (n_positions, d) of one sequence.
#include <cstdint>
#include <vector>

namespace sinklab::analysis {

// Mean pairwise cosine similarity of the rows i > first, in O(n d) as
// (||sum_i h_i/||h_i|| ||^2 - n) / (n (n - 1)).
double mean_pairwise_cosine(const float* h, std::int64_t n, std::int64_t d, std::int64_t first);

// cos(h_first, h_i) for every i > first.
std::vector<double> first_token_cosines(const float* h, std::int64_t n, std::int64_t d, std::int64_t first);

struct FirstTokenStats {
  double cosine = 0;      // mean_{i > first} cos(h_first, h_i)
  double norm_ratio = 0;  // ||h_first|| / median_{i > first} ||h_i||  (massive activations)
};
FirstTokenStats first_token_stats(const float* h, std::int64_t n, std::int64_t d, std::int64_t first);

}  // namespace sinklab::analysis
