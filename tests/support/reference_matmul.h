#pragma once
// The slow, obviously correct matrix product the fast paths are compared against (tests only).
#include "engine/tensor.h"

namespace sinklab::testing {

// a (..., M, K) · b (..., K, N) in double, batch shapes equal or b a plain matrix; any strides.
Tensor reference_matmul(const Tensor& a, const Tensor& b);

}  // namespace sinklab::testing
