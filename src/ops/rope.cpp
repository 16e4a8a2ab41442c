#include "ops/rope.h"

#include <cmath>

#include "engine/autograd.h"
#include "ops/map.h"

namespace sinklab::ops {
namespace {

// Rotates every (i, i + d/2) pair of x by +angle (sign = 1) or -angle (sign = -1, the backward).
Tensor rotate(const Tensor& x_in, std::int64_t offset, double base, double sign) {
  const Tensor x = detail::contiguous_data(x_in);
  const std::int64_t T = x.shape()[x.dim() - 2], D = x.shape().back(), half = D / 2;
  const std::int64_t rows = T * D == 0 ? 0 : x.numel() / D;
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  dispatch_float(x.dtype(), "rope", [&]<class S>() {
    // Angles in double, then rounded once: fp32 and fp64 see the same rotation.
    std::vector<S> cos_t(T * half), sin_t(T * half);
    for (std::int64_t t = 0; t < T; ++t)
      for (std::int64_t i = 0; i < half; ++i) {
        const double angle = static_cast<double>(offset + t) * std::pow(base, -2.0 * static_cast<double>(i) / static_cast<double>(D));
        cos_t[t * half + i] = static_cast<S>(std::cos(angle));
        sin_t[t * half + i] = static_cast<S>(sign * std::sin(angle));
      }
    const S* px = x.data<S>();
    S* po = out.data<S>();
    detail::for_rows(rows, D, [&](std::int64_t r) {
      const std::int64_t t = r % T;
      const S *xr = px + r * D, *c = cos_t.data() + t * half, *s = sin_t.data() + t * half;
      S* o = po + r * D;
      for (std::int64_t i = 0; i < half; ++i) {
        o[i] = xr[i] * c[i] - xr[i + half] * s[i];
        o[i + half] = xr[i] * s[i] + xr[i + half] * c[i];
      }
    });
  });
  return out;
}

}  // namespace

Tensor rope(const Tensor& x, std::int64_t position_offset, double base) {
  if (x.dim() < 2 || x.shape().back() % 2 != 0)
    fail("rope: expects (..., T, d) with even d, got {}", to_string(x.shape()));
  Tensor out = rotate(x, position_offset, base, 1.0);
  return record(out, "rope", {x}, [position_offset, base](const Tensor& g, const std::vector<bool>&) {
    return std::vector<Tensor>{rotate(g, position_offset, base, -1.0)};
  });
}

}  // namespace sinklab::ops
