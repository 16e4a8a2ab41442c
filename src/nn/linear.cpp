#include "nn/linear.h"

#include "ops/ops.h"

namespace sinklab::nn {

Linear::Linear(std::int64_t in, std::int64_t out, bool with_bias, double init_std, Rng& rng) {
  weight = register_parameter("weight", randn({out, in}, rng, init_std));
  if (with_bias) bias = register_parameter("bias", Tensor::zeros({out}));
}

Tensor Linear::forward(const Tensor& x) const {
  return ops::linear(x, weight, bias);
}

}  // namespace sinklab::nn
