#pragma once
#include "engine/tensor.h"

namespace sinklab::ops {

// Softmax over the last axis (max-subtracted).
Tensor softmax(const Tensor& x);

}  // namespace sinklab::ops
