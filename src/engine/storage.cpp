#include "engine/storage.h"

#include <cstdlib>
#include <new>

namespace sinklab {

Storage::Storage(std::size_t bytes) : bytes_(bytes) {
  // aligned_alloc wants a multiple of the alignment; never ask for zero bytes.
  const std::size_t rounded = (bytes + alignment - 1) / alignment * alignment;
  data_ = std::aligned_alloc(alignment, rounded == 0 ? alignment : rounded);
  if (data_ == nullptr) throw std::bad_alloc();
}

Storage::~Storage() { std::free(data_); }

}  // namespace sinklab
