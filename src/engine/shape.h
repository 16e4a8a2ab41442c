#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sinklab {

using Shape = std::vector<std::int64_t>;  // sizes, or strides in elements

std::int64_t numel(const Shape& shape);
Shape contiguous_strides(const Shape& shape);
std::string to_string(const Shape& shape);  // "(2, 3, 4)"

// NumPy broadcasting of two shapes; the error names `op` and both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b, std::string_view op);

// Maps a possibly negative axis into [0, rank); the error names `op`.
int normalize_axis(std::int64_t axis, std::size_t rank, std::string_view op);

}  // namespace sinklab
