#pragma once
// Normalisations over the last axis. weight and bias may be undefined Tensors (then omitted).
#include "engine/tensor.h"

namespace sinklab::ops {

// (x - mean) / sqrt(var + eps) * weight + bias
Tensor layernorm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps = 1e-5);
// x / sqrt(mean(x^2) + eps) * weight
Tensor rmsnorm(const Tensor& x, const Tensor& weight, double eps = 1e-5);

}  // namespace sinklab::ops
