#pragma once
#include "engine/tensor.h"

namespace sinklab::ops {

// x (..., K) · weight (N, K)^T + bias (N) -> (..., N), bias optional: a linear layer as one GEMM
// over all rows of x, the bias added by the GEMM as it writes (no second pass over the output).
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace sinklab::ops
