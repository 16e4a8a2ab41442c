#include "nn/embedding.h"

#include "ops/ops.h"

namespace sinklab::nn {

Embedding::Embedding(std::int64_t count, std::int64_t dim, double init_std, Rng& rng) {
  weight = register_parameter("weight", randn({count, dim}, rng, init_std));
}

Tensor Embedding::forward(const Tensor& ids) const { return ops::embedding(weight, ids); }

}  // namespace sinklab::nn
