#pragma once
// Attention split by query class, for synthetic tasks whose every target either needs attention
// to another position or depends on the current token alone (docs/metrics.md, "By query class").
// A head with nothing to fetch switches itself off somehow: `mechanism` names how.
#include <cstdint>
#include <string>

namespace sinklab::analysis {

// Sums over the queries of one class; divide by `queries` for means.
struct ClassSums {
  double queries = 0;
  double first = 0;     // A[i][first]
  double diag = 0;      // A[i][i]
  double prev = 0;      // A[i][i-1]
  double entropy = 0;   // -sum_j A[i][j] ln A[i][j]
  double row_mass = 0;  // sum_j A[i][j] (< 1 when a sink logit takes the rest)
  double gate = 0;      // the head's mean output gate at the query (gated attention)
};

// Adds one (N, N) map's queries i > first: `needs` holds the class of each token position
// (N - first of them, 1 = needs attention); `gate` the head's gate per position (may be null).
void add_class_sums(const float* map, std::int64_t n, std::int64_t first, const std::int32_t* needs, const float* gate,
                    ClassSums sums[2]);

// How a head handles the queries that need no attention: "gate" when its output gate is nearly
// closed there (mean below 0.1; only for gated models, `gated`), else from their mean attention:
// "sink" (to the first position), "diagonal" (to itself) or "sink-logit" (to the extra column,
// only when the model has one), whichever takes the most mass when that exceeds `threshold`;
// otherwise "other".
std::string mechanism(const ClassSums& no_attention, double threshold, bool sink_logit, bool gated);

}  // namespace sinklab::analysis
