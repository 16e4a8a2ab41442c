#pragma once
#include <vector>

#include "engine/tensor.h"

namespace sinklab::optim {

// Global L2 norm of all gradients (summed in double, in parameter order); when max_norm > 0 and
// the norm exceeds it, scales every gradient by max_norm / (norm + 1e-6) as PyTorch does.
// Returns the norm before clipping.
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm);

}  // namespace sinklab::optim
