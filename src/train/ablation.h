#pragma once
// Ablation files: one base config, shared overrides, and either named variants or a grid of
// values, times a list of seeds. Each (variant, seed) is one run: runs/<ablation>/<variant>-s<seed>/.
//
//   base: ../tinystories-tiny.yaml        # relative to the ablation file
//   overrides: {train.steps: 600}         # dotted keys, applied to every run
//   variants:                             # or grid: {optim.weight_decay: [0, 0.1]}: runs named
//                                         # weight_decay-0.1-s0 (key-value_key-value, other
//                                         # characters as '_')
//     - name: softmax
//     - name: gated-elementwise
//       overrides: {model.attention.gate: elementwise}
//   seeds: [0, 1]
#include <filesystem>
#include <string>
#include <vector>

namespace sinklab::train {

struct AblationRun {
  std::string variant;
  std::uint64_t seed = 0;
  std::string name;                 // <variant>-s<seed>, a plain folder name
  std::vector<std::string> sets;    // key=value, in order: shared overrides, variant overrides, seed
  std::int64_t steps = 0;           // train.steps after the overrides
};

struct Ablation {
  std::string name;  // the file's stem unless `name:` is given
  std::filesystem::path file, base;
  std::vector<AblationRun> runs;
};

// runs/<ablation>/ablation.json: the run list and outcomes; its presence marks an ablation's folder.
inline constexpr const char* ablation_list = "ablation.json";

// Above this many runs an ablation needs --max-runs (a grid multiplies quickly).
inline constexpr std::int64_t default_max_runs = 1000;

// Reads and checks the file; every run's config is resolved, so a bad key or value in any
// variant is an error (naming the variant) before anything runs. The runs are counted before any
// is built: more than max_runs is an error that gives the count.
Ablation load_ablation(const std::filesystem::path& file, std::int64_t max_runs = default_max_runs);

// How far a run got: the step of its newest checkpoint (0 when it has none).
std::int64_t completed_steps(const std::filesystem::path& run_dir);

}  // namespace sinklab::train
