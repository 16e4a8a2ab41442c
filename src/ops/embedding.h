#pragma once
#include "engine/tensor.h"

namespace sinklab::ops {

// Rows of weight (V, D) picked by integer ids (any shape) -> (ids..., D). The backward
// scatter-adds into a (V, D) gradient.
Tensor embedding(const Tensor& weight, const Tensor& ids);

}  // namespace sinklab::ops
