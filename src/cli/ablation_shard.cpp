#include "cli/ablation_shard.h"

#include "engine/error.h"

namespace sinklab::cli {
namespace {

// A whole number of at most 9 digits (more shards than runs is allowed, but no count this large
// is meant), or -1.
std::int64_t whole(const std::string& text) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoll(text);
}

}  // namespace

Shard parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  const std::int64_t k = slash == std::string::npos ? -1 : whole(text.substr(0, slash));
  const std::int64_t n = slash == std::string::npos ? -1 : whole(text.substr(slash + 1));
  if (k < 0 || n < 0)
    fail("ablate: --shard '{}' is not K/N: two whole numbers with 0 <= K < N, e.g. 0/4 for the first of 4 shards", text);
  if (n == 0) fail("ablate: --shard '{}': N, the number of shards, must be at least 1", text);
  if (k >= n)
    fail("ablate: --shard '{}': K must be below N (shards count from 0 to N-1, as $SLURM_ARRAY_TASK_ID over --array=0-{})", text,
         n - 1);
  return {k, n};
}

}  // namespace sinklab::cli
