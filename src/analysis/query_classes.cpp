#include "analysis/query_classes.h"

#include <cmath>

#include "analysis/attention_metrics.h"

namespace sinklab::analysis {

void add_class_sums(const float* map, std::int64_t n, std::int64_t first, const std::int32_t* needs, const float* gate,
                    ClassSums sums[2]) {
  for (std::int64_t i = first + 1; i < n; ++i) {
    ClassSums& s = sums[needs[i - first] != 0 ? 1 : 0];
    const float* row = map + i * n;
    double mass = 0;
    for (std::int64_t j = 0; j <= i; ++j) mass += row[j];
    const double entropy = row_entropy(row, i + 1);
    s.queries += 1;
    s.first += row[first];
    s.diag += row[i];
    s.prev += row[i - 1];
    s.entropy += entropy;
    s.row_mass += mass;
    if (gate != nullptr) s.gate += gate[i];
  }
}

std::string mechanism(const ClassSums& s, double threshold, bool sink_logit, bool gated) {
  if (s.queries == 0) return "other";
  if (gated && s.gate / s.queries < 0.1) return "gate";
  const double first = s.first / s.queries, diag = s.diag / s.queries, logit = sink_logit ? 1 - s.row_mass / s.queries : 0.0;
  std::string best = "other";
  double most = threshold;
  for (const auto& [name, mass] : {std::pair{"sink", first}, {"diagonal", diag}, {"sink-logit", logit}})
    if (mass > most) most = mass, best = name;
  return best;
}

}  // namespace sinklab::analysis
