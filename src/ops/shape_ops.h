#pragma once
// Views and copies that change shape: reshape, permute/transpose, slice, expand (views where the
// strides allow), contiguous and concat (copies).
#include <vector>

#include "engine/tensor.h"

namespace sinklab::ops {

Tensor reshape(const Tensor& x, const Shape& shape);  // one size may be -1
Tensor permute(const Tensor& x, const std::vector<std::int64_t>& dims);
Tensor transpose(const Tensor& x, std::int64_t a, std::int64_t b);
Tensor slice(const Tensor& x, std::int64_t axis, std::int64_t start, std::int64_t end);  // [start, end)
Tensor expand(const Tensor& x, const Shape& shape);  // broadcast to shape, stride 0 where stretched
Tensor contiguous(const Tensor& x);
Tensor concat(const std::vector<Tensor>& xs, std::int64_t axis);

}  // namespace sinklab::ops
