#pragma once
#include <cstdint>

#include "engine/tensor.h"

namespace sinklab::ops {

// The language-model head and its loss as one op: the mean cross-entropy of x · weightᵀ
// (x (..., C), weight (V, C)) against i32 targets (...), equal to
// cross_entropy(linear(x, weight), targets) but without keeping the (..., V) logits. The logits are
// made a block of rows at a time, in cache; when a backward will follow, each block's gradient
// goes straight into d/dx and d/dweight, so the backward only scales them.
Tensor linear_cross_entropy(const Tensor& x, const Tensor& weight, const Tensor& targets, std::int32_t ignore_index = -100);

}  // namespace sinklab::ops
