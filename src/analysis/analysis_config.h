#pragma once
// analysis.* in configs: what the analysis measures during training, and how often.
#include <cstdint>
#include <vector>

namespace sinklab::analysis {

struct AnalysisConfig {
  std::int64_t every = 50;            // steps between analyses (also at step 0 and at the end); 0: off
  std::int64_t probe_sequences = 64;  // probe set: sequences from the validation split, drawn once per run
  std::int64_t probe_length = 64;     // tokens per probe sequence (at most data.context)
  std::vector<double> eps{0.1, 0.3};  // thresholds of the sink and diagonal rates
  double delta = 0.1;                 // switch-like heads: sink score + diagonal score > 1 - delta
  std::int64_t snapshot_every = 5;    // attention snapshot every Nth analysis (and the first and last)
};

}  // namespace sinklab::analysis
