#include "ops/norm.h"

#include <omp.h>

#include "engine/autograd.h"
#include "kernels/vector_math.h"
#include "ops/map.h"

namespace sinklab::ops {
namespace {

void check_param(const Tensor& x, const Tensor& p, std::string_view op, std::string_view what) {
  if (!p.defined()) return;
  if (p.dim() != 1 || p.shape()[0] != x.shape().back())
    fail("{}: {} has shape {} but the input's last axis is {} (input {})", op, what, to_string(p.shape()), x.shape().back(),
         to_string(x.shape()));
  if (p.dtype() != x.dtype()) fail("{}: {} is {} but the input is {}", op, what, dtype_name(p.dtype()), dtype_name(x.dtype()));
}

// LayerNorm (center = true) and RMSNorm (center = false) share one kernel: xhat = (x - mu) * rstd
// with mu = 0 for RMSNorm, y = xhat * w + b.
Tensor normalize(const Tensor& x_in, const Tensor& w, const Tensor& b, double eps, bool center, std::string_view op) {
  if (x_in.dim() == 0) fail("{}: needs at least one axis, got a scalar", op);
  check_param(x_in, w, op, "weight");
  check_param(x_in, b, op, "bias");
  const Tensor x = detail::contiguous_data(x_in);
  const Tensor wc = w.defined() ? detail::contiguous_data(w) : Tensor();
  const Tensor bc = b.defined() ? detail::contiguous_data(b) : Tensor();
  const std::int64_t n = x.shape().back(), rows = n == 0 ? 0 : x.numel() / n;
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  Tensor stats = Tensor::empty({rows, 2}, x.dtype());  // (mu, rstd) per row
  dispatch_float(x.dtype(), op, [&]<class T>() {
    const T* px = x.data<T>();
    const T* pw = wc.defined() ? wc.data<T>() : nullptr;
    const T* pb = bc.defined() ? bc.data<T>() : nullptr;
    T* py = out.data<T>();
    T* ps = stats.data<T>();
    detail::for_rows(rows, n, [&](std::int64_t r) {
      kernels::normalize_row(px + r * n, pw, pb, py + r * n, n, static_cast<T>(eps), center, ps + 2 * r);
    });
  });
  return record(out, op, {x_in, w, b}, [x, wc, stats, n, rows, center, op](
                                           const Tensor& g, const std::vector<bool>&) {
    Tensor gx = Tensor::empty(x.shape(), x.dtype());
    Tensor gw = Tensor::zeros({n}, x.dtype()), gb = Tensor::zeros({n}, x.dtype());
    dispatch_float(x.dtype(), op, [&]<class T>() {
      const T *px = x.data<T>(), *pg = g.data<T>(), *ps = stats.data<T>();
      const T* pw = wc.defined() ? wc.data<T>() : nullptr;
      T *pgx = gx.data<T>(), *pgw = gw.data<T>(), *pgb = gb.data<T>();
      // Per-thread partial sums of gw and gb, combined in thread order so results are reproducible.
      const int threads = parallel_worthwhile(rows * n) ? omp_get_max_threads() : 1;
      std::vector<T> partial(static_cast<std::size_t>(threads) * 2 * n, T(0));
#pragma omp parallel num_threads(threads)
      {
        T* local_w = partial.data() + static_cast<std::size_t>(omp_get_thread_num()) * 2 * n;
        T* local_b = local_w + n;
#pragma omp for schedule(static)
        for (std::int64_t r = 0; r < rows; ++r)
          kernels::normalize_row_backward(px + r * n, pg + r * n, pw, ps[2 * r], ps[2 * r + 1], n, center, pgx + r * n,
                                          local_w, local_b);
      }
      for (int t = 0; t < threads; ++t)
        for (std::int64_t i = 0; i < n; ++i) {
          pgw[i] += partial[(static_cast<std::size_t>(t) * 2) * n + i];
          pgb[i] += partial[(static_cast<std::size_t>(t) * 2 + 1) * n + i];
        }
    });
    return std::vector<Tensor>{gx, gw, gb};
  });
}

}  // namespace

Tensor layernorm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
  return normalize(x, weight, bias, eps, true, "layernorm");
}

Tensor rmsnorm(const Tensor& x, const Tensor& weight, double eps) {
  return normalize(x, weight, Tensor(), eps, false, "rmsnorm");
}

}  // namespace sinklab::ops
