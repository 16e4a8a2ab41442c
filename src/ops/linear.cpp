#include "ops/linear.h"

#include "engine/autograd.h"
#include "kernels/gemm.h"
#include "ops/map.h"
#include "ops/matmul.h"
#include "ops/shape_ops.h"

namespace sinklab::ops {

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  if (x.dim() < 1 || weight.dim() != 2 || x.shape().back() != weight.shape()[1])
    fail("linear: input {} does not match weight {} (want input (..., K), weight (N, K))", to_string(x.shape()),
         to_string(weight.shape()));
  const std::int64_t N = weight.shape()[0], K = weight.shape()[1];
  if (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != N))
    fail("linear: bias {} does not match weight {} (want ({}))", to_string(bias.shape()), to_string(weight.shape()), N);
  if (x.dtype() != weight.dtype() || (bias.defined() && bias.dtype() != x.dtype()))
    fail("linear: dtypes differ (input {}, weight {}{}{})", dtype_name(x.dtype()), dtype_name(weight.dtype()),
         bias.defined() ? ", bias " : "", bias.defined() ? dtype_name(bias.dtype()) : "");
  if (K == 0) fail("linear: input {} has no features", to_string(x.shape()));
  const Tensor xc = detail::contiguous_data(x), wc = detail::contiguous_data(weight);
  const Tensor bc = bias.defined() ? detail::contiguous_data(bias) : Tensor();
  const std::int64_t M = x.numel() / K;
  Shape out_shape = x.shape();
  out_shape.back() = N;
  Tensor out = Tensor::empty(out_shape, x.dtype());
  if (M > 0 && N > 0) {
    const kernels::MatrixView a{xc.raw_data(), 1, M, K, 0, K, 1};
    const kernels::MatrixView b{wc.raw_data(), 1, K, N, 0, 1, K};  // weight^T as strides
    kernels::gemm(x.dtype(), a, b, out.raw_data(), false, bc.defined() ? bc.raw_data() : nullptr);
  }
  return record(out, "linear", {x, weight, bias},
                [xc = xc.detach(), wc = wc.detach(), M, N, K](const Tensor& g, const std::vector<bool>& needs) {
                  const Tensor g2 = reshape(g, {M, N});
                  Tensor gx, gw, gb;
                  if (needs[0]) gx = reshape(matmul(g2, wc), xc.shape());
                  if (needs[1]) gw = matmul(transpose(g2, 0, 1), reshape(xc, {M, K}));
                  if (needs[2]) {  // the column sums as a GEMM: vectorised and threaded
                    const Tensor ones = Tensor::full({1, M}, 1.0, g.dtype());
                    gb = reshape(matmul(ones, g2), {N});
                  }
                  return std::vector<Tensor>{gx, gw, gb};
                });
}

}  // namespace sinklab::ops
