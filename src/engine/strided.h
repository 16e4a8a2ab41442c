#pragma once
// The one loop nest behind every strided elementwise kernel: walks `shape` in row-major order and
// hands each innermost row to `body` with the element offsets of N operands. Rows run in parallel.
#include <array>
#include <cstdint>

#include "engine/shape.h"

namespace sinklab {

// Strides of `tensor_strides` (for a tensor of `tensor_shape`) seen from the broadcast `out_shape`:
// right-aligned, 0 where the tensor has size 1 or lacks the axis.
Shape broadcast_strides(const Shape& tensor_shape, const Shape& tensor_strides, const Shape& out_shape);

bool parallel_worthwhile(std::int64_t work);

template <std::size_t N, class Body>
void for_each_row(const Shape& shape, const std::array<const Shape*, N>& strides,
                  const std::array<std::int64_t, N>& base, Body&& body) {
  const std::size_t rank = shape.size();
  std::array<std::int64_t, N> inc{};
  if (rank == 0) {
    body(base, std::int64_t{1}, inc);
    return;
  }
  const std::int64_t inner = shape[rank - 1];
  if (inner == 0) return;
  for (std::size_t k = 0; k < N; ++k) inc[k] = (*strides[k])[rank - 1];
  const std::int64_t rows = numel(shape) / inner;
#pragma omp parallel for schedule(static) if (parallel_worthwhile(rows * inner))
  for (std::int64_t r = 0; r < rows; ++r) {
    std::array<std::int64_t, N> off = base;
    std::int64_t rem = r;
    for (std::size_t d = rank - 1; d-- > 0;) {
      const std::int64_t i = rem % shape[d];
      rem /= shape[d];
      for (std::size_t k = 0; k < N; ++k) off[k] += i * (*strides[k])[d];
    }
    body(off, inner, inc);
  }
}

}  // namespace sinklab
