#pragma once
// The one loop nest behind every strided elementwise kernel: walks `shape` in row-major order and
// hands each innermost row to `body` with the element offsets of N operands. Rows run in parallel.
#include <algorithm>
#include <array>
#include <cstdint>

#include "engine/shape.h"

namespace sinklab {

// Strides of `tensor_strides` (for a tensor of `tensor_shape`) seen from the broadcast `out_shape`:
// right-aligned, 0 where the tensor has size 1 or lacks the axis.
Shape broadcast_strides(const Shape& tensor_shape, const Shape& tensor_strides, const Shape& out_shape);

bool parallel_worthwhile(std::int64_t work);

template <std::size_t N, class Body>
void for_each_row(const Shape& shape_in, const std::array<const Shape*, N>& strides_in,
                  const std::array<std::int64_t, N>& base, Body&& body) {
  std::array<std::int64_t, N> inc{};
  if (numel(shape_in) == 0) return;
  // Merge axes that every operand walks contiguously, and drop size-1 axes: contiguous tensors
  // become one long row, so bodies get long unit-stride rows and the index arithmetic below runs
  // once per row, not per element.
  Shape shape;
  std::array<Shape, N> st;
  for (std::size_t d = 0; d < shape_in.size(); ++d) {
    if (shape_in[d] == 1) continue;
    bool merge = !shape.empty();
    for (std::size_t k = 0; k < N && merge; ++k) merge = st[k].back() == (*strides_in[k])[d] * shape_in[d];
    if (merge) {
      shape.back() *= shape_in[d];
      for (std::size_t k = 0; k < N; ++k) st[k].back() = (*strides_in[k])[d];
    } else {
      shape.push_back(shape_in[d]);
      for (std::size_t k = 0; k < N; ++k) st[k].push_back((*strides_in[k])[d]);
    }
  }
  if (shape.empty()) {
    body(base, std::int64_t{1}, inc);
    return;
  }
  const std::size_t rank = shape.size();
  const std::int64_t inner = shape[rank - 1];
  for (std::size_t k = 0; k < N; ++k) inc[k] = st[k][rank - 1];
  const std::int64_t rows = numel(shape) / inner;
  // Rows are split into blocks; each block finds its first row's offsets by division, then steps.
  const std::int64_t blocks = std::min<std::int64_t>(rows, 256);
#pragma omp parallel for schedule(static) if (parallel_worthwhile(rows * inner))
  for (std::int64_t blk = 0; blk < blocks; ++blk) {
    const std::int64_t first = rows * blk / blocks, last = rows * (blk + 1) / blocks;
    std::array<std::int64_t, N> off = base;
    Shape index(rank, 0);
    std::int64_t rem = first;
    for (std::size_t d = rank - 1; d-- > 0;) {
      index[d] = rem % shape[d];
      rem /= shape[d];
      for (std::size_t k = 0; k < N; ++k) off[k] += index[d] * st[k][d];
    }
    for (std::int64_t r = first; r < last; ++r) {
      body(off, inner, inc);
      for (std::size_t d = rank - 1; d-- > 0;) {
        for (std::size_t k = 0; k < N; ++k) off[k] += st[k][d];
        if (++index[d] < shape[d]) break;
        for (std::size_t k = 0; k < N; ++k) off[k] -= st[k][d] * shape[d];
        index[d] = 0;
      }
    }
  }
}

}  // namespace sinklab
