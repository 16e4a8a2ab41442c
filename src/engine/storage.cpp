#include "engine/storage.h"

#include <malloc.h>

#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

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

// Blocks glibc would still map fresh (the logits and their gradient: batch x context x vocab) are
// kept here after release and handed out again for the same size: every training step asks for
// the same sizes in the same order, so its blocks come back before the step's peak. Blocks of
// other sizes (an evaluation or analysis batch of another shape) stay kept too, up to max_kept
// in all, the oldest going back to the system first.
class LargeBlocks {
 public:
  static constexpr std::size_t min_bytes = std::size_t{32} << 20;
  static constexpr std::size_t max_kept = std::size_t{256} << 20;

  void* take(std::size_t bytes) {
    std::lock_guard lock(mutex_);
    for (auto it = kept_.begin(); it != kept_.end(); ++it) {
      if (it->bytes != bytes) continue;
      void* block = it->data;
      kept_bytes_ -= bytes;
      kept_.erase(it);
      return block;
    }
    return nullptr;
  }

  void give(void* data, std::size_t bytes) {
    std::lock_guard lock(mutex_);
    kept_.push_back({data, bytes});
    kept_bytes_ += bytes;
    while (kept_bytes_ > max_kept) {  // the oldest goes back to the system
      kept_bytes_ -= kept_.front().bytes;
      std::free(kept_.front().data);
      kept_.erase(kept_.begin());
    }
  }

 private:
  struct Block {
    void* data;
    std::size_t bytes;
  };
  std::mutex mutex_;
  std::vector<Block> kept_;
  std::size_t kept_bytes_ = 0;
};

LargeBlocks& large_blocks() {
  static auto* blocks = new LargeBlocks();  // never destroyed: tensors may outlive static destruction
  return *blocks;
}

// aligned_alloc wants a multiple of the alignment; never ask for zero bytes.
std::size_t rounded_size(std::size_t bytes) {
  const std::size_t rounded = (bytes + Storage::alignment - 1) / Storage::alignment * Storage::alignment;
  return rounded == 0 ? Storage::alignment : rounded;
}

}  // namespace

Storage::Storage(std::size_t bytes) : bytes_(bytes) {
  (void)heap_tuned;
  const std::size_t rounded = rounded_size(bytes);
  if (rounded >= LargeBlocks::min_bytes) data_ = large_blocks().take(rounded);
  if (data_ == nullptr) data_ = std::aligned_alloc(alignment, rounded);
  if (data_ == nullptr) throw std::bad_alloc();
}

Storage::~Storage() {
  const std::size_t rounded = rounded_size(bytes_);
  if (rounded >= LargeBlocks::min_bytes) {
    large_blocks().give(data_, rounded);
  } else {
    std::free(data_);
  }
}

}  // namespace sinklab
