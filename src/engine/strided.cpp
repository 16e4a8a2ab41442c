#include "engine/strided.h"

#include <omp.h>

namespace sinklab {

Shape broadcast_strides(const Shape& tensor_shape, const Shape& tensor_strides, const Shape& out_shape) {
  Shape out(out_shape.size(), 0);
  const std::size_t lead = out_shape.size() - tensor_shape.size();
  for (std::size_t i = 0; i < tensor_shape.size(); ++i)
    out[lead + i] = tensor_shape[i] == 1 ? 0 : tensor_strides[i];
  return out;
}

bool parallel_worthwhile(std::int64_t work) {
  // Below this many elements the fork/join costs more than the loop.
  return work >= (1 << 15) && omp_get_max_threads() > 1 && !omp_in_parallel();
}

}  // namespace sinklab
