#pragma once
// analysis.* in configs: what the analysis measures during training, and how often.
#include <cstdint>
#include <vector>

#include "io/config_section.h"

namespace sinklab::analysis {

struct AnalysisConfig {
  std::int64_t every = 50;            // steps between analyses (also at step 0 and at the end); 0: off
  std::int64_t probe_sequences = 64;  // probe set: sequences from the validation split, drawn once per run
  std::int64_t probe_length = 64;     // tokens per probe sequence (at most data.context)
  std::vector<double> eps{0.1, 0.3};  // thresholds of the sink and diagonal rates
  double delta = 0.1;                 // switch-like heads: sink score + diagonal score > 1 - delta
  std::int64_t snapshot_every = 5;    // attention snapshot every Nth analysis (and the first and last)
};

// The probe's attention maps (layers x sequences x heads x N² floats) are kept after its forward
// pass up to this size; larger ones are recomputed one head at a time when a metric reads them.
inline constexpr double probe_map_cache_bytes = 256e6;
inline double probe_map_bytes(double layers, double sequences, double heads, double positions) {
  return 4.0 * layers * sequences * heads * positions * positions;
}
// Snapshots pool the probe-mean maps into blocks of ⌈N / snapshot_cells⌉ positions.
inline constexpr std::int64_t snapshot_cells = 256;

// The analysis.* keys, their docs and rules. Inline, so that the trainer's config reads them
// without linking the analysis library (training and analysis never call each other).
inline const config::Section<AnalysisConfig>& analysis_section() {
  using C = AnalysisConfig;
  static const auto section = [] {
    config::Section<C> s("analysis");
    s.key("every", &C::every,
          "analyse the probe set every N steps, at step 0 and at the end (0: off); see [`docs/metrics.md`](../docs/metrics.md)")
        .key("probe_sequences", &C::probe_sequences, "probe sequences, drawn once per run from the validation split")
        .key("probe_length", &C::probe_length, "tokens per probe sequence (at most `data.context`)")
        .key("eps", &C::eps, "thresholds of the sink and diagonal rates")
        .key("delta", &C::delta, "a head is switch-like when sink score + diagonal score > 1 − delta")
        .key("snapshot_every", &C::snapshot_every, "write the probe-mean attention maps every Nth analysis (and the first and last)");
    s.rule([](const C& c, const config::Report& check) {
      check(c.every >= 0, "every", fmt::format("must not be negative (0 turns analysis off), got {}", c.every));
      check(c.probe_sequences >= 1, "probe_sequences", "must be at least 1");
      check(c.probe_length >= 2, "probe_length", "must be at least 2");
      check(!c.eps.empty(), "eps", "needs at least one threshold");
      for (double e : c.eps) check(e > 0 && e < 1, "eps", fmt::format("thresholds must be in (0, 1), got {}", e));
      check(c.delta >= 0 && c.delta < 1, "delta", "must be in [0, 1)");
      check(c.snapshot_every >= 0, "snapshot_every", "must not be negative (0: first and last only)");
    });
    return s;
  }();
  return section;
}


}  // namespace sinklab::analysis
