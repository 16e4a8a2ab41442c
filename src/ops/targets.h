#pragma once
// Target checks shared by the loss ops (internal to ops/).
#include <cstdint>
#include <string_view>

#include "engine/tensor.h"

namespace sinklab::ops::detail {

// The number of targets (contiguous i32) not equal to ignore_index; fails on one outside [0, V).
inline std::int64_t count_targets(const Tensor& targets, std::int64_t V, std::int32_t ignore_index, std::string_view op) {
  const std::int32_t* pt = targets.data<std::int32_t>();
  std::int64_t count = 0;
  for (std::int64_t i = 0; i < targets.numel(); ++i) {
    if (pt[i] == ignore_index) continue;
    if (pt[i] < 0 || pt[i] >= V) fail("{}: target {} at position {} is outside [0, {})", op, pt[i], i, V);
    ++count;
  }
  return count;
}

}  // namespace sinklab::ops::detail
