#pragma once
#include "engine/tensor.h"

namespace sinklab::ops {

// Rotary position embedding on x (..., T, d) with d even, in the "rotate half" layout (GPT-NeoX,
// Hugging Face LLaMA): channel i pairs with i + d/2 and turns by angle pos * base^(-2i/d), where
// pos = position_offset + t.
Tensor rope(const Tensor& x, std::int64_t position_offset = 0, double base = 10000.0);

}  // namespace sinklab::ops
