#pragma once
// Pointwise nonlinearities.
#include "engine/tensor.h"

namespace sinklab::ops {

Tensor gelu(const Tensor& x);  // tanh approximation, as GPT-2
Tensor silu(const Tensor& x);
Tensor sigmoid(const Tensor& x);

}  // namespace sinklab::ops
