#pragma once
#include "engine/tensor.h"

namespace sinklab::ops {

// a (..., M, K) · b (..., K, N) -> (..., M, N). Batch shapes must be equal, or one operand is a
// plain matrix shared by every batch entry. Transposed views are passed to oneDNN as strides.
Tensor matmul(const Tensor& a, const Tensor& b);

}  // namespace sinklab::ops
