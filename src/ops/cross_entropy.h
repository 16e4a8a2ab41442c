#pragma once
#include <cstdint>

#include "engine/tensor.h"

namespace sinklab::ops {

// Mean cross-entropy of logits (..., V) against i32 targets (...), fused with log-softmax.
// Targets equal to ignore_index count neither in the sum nor in the mean; 0 if all are ignored.
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, std::int32_t ignore_index = -100);

}  // namespace sinklab::ops
