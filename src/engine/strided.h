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
  // Work is split into blocks of whole rows; when there are few long rows (a contiguous tensor is
  // one row) each row is also cut into pieces, so every thread gets a share. Every element is still
  // computed by the same body, so results do not depend on the split.
  constexpr std::int64_t max_blocks = 256, min_piece = 4096;
  const std::int64_t pieces = rows >= max_blocks ? 1 : std::clamp<std::int64_t>(inner / min_piece, 1, max_blocks / rows);
  const std::int64_t blocks = std::min<std::int64_t>(rows, max_blocks) * pieces;
#pragma omp parallel for schedule(static) if (parallel_worthwhile(rows * inner))
  for (std::int64_t blk = 0; blk < blocks; ++blk) {
    const std::int64_t row_blk = blk / pieces, piece = blk % pieces, row_blocks = blocks / pieces;
    const std::int64_t first = rows * row_blk / row_blocks, last = rows * (row_blk + 1) / row_blocks;
    const std::int64_t lo = inner * piece / pieces, hi = inner * (piece + 1) / pieces;
    std::array<std::int64_t, N> off = base;
    for (std::size_t k = 0; k < N; ++k) off[k] += lo * inc[k];
    Shape index(rank, 0);
    std::int64_t rem = first;
    for (std::size_t d = rank - 1; d-- > 0;) {
      index[d] = rem % shape[d];
      rem /= shape[d];
      for (std::size_t k = 0; k < N; ++k) off[k] += index[d] * st[k][d];
    }
    for (std::int64_t r = first; r < last; ++r) {
      body(off, hi - lo, inc);
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
