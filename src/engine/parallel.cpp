#include "engine/parallel.h"

#include <omp.h>

#include "engine/error.h"

namespace sinklab {

void set_num_threads(int threads) {
  if (threads < 1) fail("set_num_threads: thread count must be at least 1, got {}", threads);
  omp_set_num_threads(threads);
}

int num_threads() { return omp_get_max_threads(); }

}  // namespace sinklab
