#include "engine/storage.h"

#include <malloc.h>

#include <cstdlib>
#include <new>

namespace sinklab {
namespace {

// A training step allocates and frees the same activation buffers every step. By default glibc
// maps large blocks fresh and returns freed heap tops to the system, so every step faults the
// same pages in again; keeping them (up to glibc's 32 MiB mmap limit) lets the next step reuse them.
const bool heap_tuned = [] {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  return true;
}();

}  // namespace

Storage::Storage(std::size_t bytes) : bytes_(bytes) {
  (void)heap_tuned;
  // aligned_alloc wants a multiple of the alignment; never ask for zero bytes.
  const std::size_t rounded = (bytes + alignment - 1) / alignment * alignment;
  data_ = std::aligned_alloc(alignment, rounded == 0 ? alignment : rounded);
  if (data_ == nullptr) throw std::bad_alloc();
}

Storage::~Storage() { std::free(data_); }

}  // namespace sinklab
