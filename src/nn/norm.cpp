#include "nn/norm.h"

#include "ops/ops.h"

namespace sinklab::nn {

Norm::Norm(NormKind kind, std::int64_t dim, bool with_bias, double eps) : kind_(kind), eps_(eps) {
  weight = register_parameter("weight", Tensor::full({dim}, 1.0));
  if (kind == NormKind::layernorm && with_bias) bias = register_parameter("bias", Tensor::zeros({dim}));
}

Tensor Norm::forward(const Tensor& x) const {
  return kind_ == NormKind::layernorm ? ops::layernorm(x, weight, bias, eps_) : ops::rmsnorm(x, weight, eps_);
}

}  // namespace sinklab::nn
