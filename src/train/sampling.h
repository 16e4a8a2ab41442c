#pragma once
// Text from a saved run: a prompt continued token by token.
#include <cstdint>
#include <string>

#include "train/saved_run.h"

namespace sinklab::train {

// The most tokens one `sinklab sample` generates (the token list grows with them).
inline constexpr std::int64_t max_sample_tokens = 1'000'000;

struct SampleOptions {
  std::string prompt;
  std::int64_t tokens = 200;
  double temperature = 0.8;  // 0: greedy
  std::uint64_t seed = 0;
};

// The prompt followed by up to `tokens` sampled tokens (stops early at EOS).
std::string sample(const LoadedRun& run, const SampleOptions& options);

}  // namespace sinklab::train
