#pragma once
// Sums and means over axes; sum_to reduces a broadcast result back to an operand's shape.
#include <vector>

#include "engine/tensor.h"

namespace sinklab::ops {

Tensor sum(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdim = false);
Tensor sum(const Tensor& x);   // all elements, shape ()
Tensor mean(const Tensor& x);  // all elements, shape ()

// Sums g over the axes that broadcasting added or stretched, giving `shape`.
Tensor sum_to(const Tensor& g, const Shape& shape);

}  // namespace sinklab::ops
