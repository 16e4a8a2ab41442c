#include "ops/softmax.h"

#include <cmath>

#include "engine/autograd.h"
#include "kernels/vector_math.h"
#include "ops/map.h"

namespace sinklab::ops {

Tensor softmax(const Tensor& x_in) {
  if (x_in.dim() == 0) fail("softmax: needs at least one axis, got a scalar");
  const Tensor x = detail::contiguous_data(x_in);
  const std::int64_t n = x.shape().back(), rows = n == 0 ? 0 : x.numel() / n;
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  dispatch_float(x.dtype(), "softmax", [&]<class T>() {
    const T* px = x.data<T>();
    T* py = out.data<T>();
    detail::for_rows(rows, n, [&](std::int64_t r) {
      const T* xr = px + r * n;
      T* yr = py + r * n;
      const T inv = T(1) / kernels::exp_shifted(xr, kernels::max_of(xr, n), yr, n);
      for (std::int64_t i = 0; i < n; ++i) yr[i] *= inv;
    });
  });
  return record(out, "softmax", {x_in}, [y = out.detach(), n, rows](const Tensor& g, const std::vector<bool>&) {
    Tensor gx = Tensor::empty(y.shape(), y.dtype());
    dispatch_float(y.dtype(), "softmax backward", [&]<class T>() {
      const T* py = y.data<T>();
      const T* pg = g.data<T>();
      T* px = gx.data<T>();
      detail::for_rows(rows, n, [&](std::int64_t r) {
        const T *yr = py + r * n, *gr = pg + r * n;
        T dot = 0;
        for (std::int64_t i = 0; i < n; ++i) dot += gr[i] * yr[i];
        for (std::int64_t i = 0; i < n; ++i) px[r * n + i] = yr[i] * (gr[i] - dot);
      });
    });
    return std::vector<Tensor>{gx};
  });
}

}  // namespace sinklab::ops
