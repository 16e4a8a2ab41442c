#pragma once
#include <cstddef>
#include <omp.h>

#include <cstdint>
#include <exception>
#include <vector>

#include "engine/strided.h"

namespace sinklab {

// Threads used by the engine's own loops and by oneDNN (both run on OpenMP).
void set_num_threads(int threads);
int num_threads();

// A span [start, start + length) of the elements of one of several arrays.
struct Piece {
  std::size_t array;
  std::int64_t start, length;
};

// Cuts arrays of the given sizes into pieces of at most max_length elements, in array order.
// The default keeps a piece's few arrays (an optimizer's parameter, gradient and moments) in L2.
std::vector<Piece> pieces_of(const std::vector<std::int64_t>& sizes, std::int64_t max_length = 1 << 14);

// body(index, piece) for every piece, in one parallel loop: many small arrays (a model's
// parameters) share the threads without a fork and join each. Pieces are handed out as threads
// free up: a static split balances piece counts, not elements (the embedding's full pieces would
// go to one thread, the layers' small biases to the other). Bodies that reduce must store
// per-piece results.
template <class Body>
void for_each_piece(const std::vector<Piece>& pieces, Body&& body) {
  std::int64_t work = 0;
  for (const auto& p : pieces) work += p.length;
  const auto count = static_cast<std::int64_t>(pieces.size());
#pragma omp parallel for schedule(dynamic) if (parallel_worthwhile(work))
  for (std::int64_t i = 0; i < count; ++i) body(static_cast<std::size_t>(i), pieces[static_cast<std::size_t>(i)]);
}

// body(i, thread) for i in [0, count), split statically over at most `threads` threads
// (thread < min(count, threads)). An exception must not leave an OpenMP region: the first one a
// body throws is rethrown after the loop.
template <class Body>
void parallel_for(std::int64_t count, int threads, Body&& body) {
  std::exception_ptr error;
#pragma omp parallel num_threads(threads)
  {
    const int thread = omp_get_thread_num();
#pragma omp for schedule(static)
    for (std::int64_t i = 0; i < count; ++i) {
      try {
        body(i, thread);
      } catch (...) {
#pragma omp critical(sinklab_parallel_for_error)
        if (!error) error = std::current_exception();
      }
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace sinklab
