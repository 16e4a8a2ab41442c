#include "engine/parallel.h"

#include <omp.h>

#include <algorithm>

#include "engine/error.h"

namespace sinklab {

void set_num_threads(int threads) {
  if (threads < 1) fail("set_num_threads: thread count must be at least 1, got {}", threads);
  omp_set_num_threads(threads);
}

int num_threads() { return omp_get_max_threads(); }

std::vector<Piece> pieces_of(const std::vector<std::int64_t>& sizes, std::int64_t max_length) {
  if (max_length < 1) fail("pieces_of: piece length must be at least 1, got {}", max_length);
  std::vector<Piece> out;
  for (std::size_t a = 0; a < sizes.size(); ++a)
    for (std::int64_t at = 0; at < sizes[a]; at += max_length) out.push_back({a, at, std::min(max_length, sizes[a] - at)});
  return out;
}

}  // namespace sinklab
