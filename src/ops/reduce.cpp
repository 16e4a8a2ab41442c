#include "ops/reduce.h"

#include <algorithm>
#include <numeric>

#include "engine/autograd.h"
#include "ops/elementwise.h"
#include "ops/map.h"
#include "ops/shape_ops.h"

namespace sinklab::ops {
namespace {

std::vector<bool> reduced_mask(const Tensor& x, const std::vector<std::int64_t>& axes, std::string_view op) {
  std::vector<bool> mask(x.dim(), false);
  for (auto a : axes) {
    const int axis = normalize_axis(a, x.dim(), op);
    if (mask[axis]) fail("{}: axis {} given twice for shape {}", op, a, to_string(x.shape()));
    mask[axis] = true;
  }
  return mask;
}

// out[p, q] = sum_r x[p, r, q] over a contiguous x viewed as (P, R, Q).
template <class T>
void sum_middle(const T* x, T* out, std::int64_t P, std::int64_t R, std::int64_t Q) {
  if (Q == 1) {
    detail::for_rows(P, R, [&](std::int64_t p) {
      double acc = 0;  // row sums accumulate in double: fp32 rows can be long
      for (std::int64_t r = 0; r < R; ++r) acc += x[p * R + r];
      out[p] = static_cast<T>(acc);
    });
    return;
  }
  constexpr std::int64_t block = 256;
  const std::int64_t blocks = (Q + block - 1) / block;
#pragma omp parallel for collapse(2) schedule(static) if (parallel_worthwhile(P * R * Q))
  for (std::int64_t p = 0; p < P; ++p) {
    for (std::int64_t b = 0; b < blocks; ++b) {
      const std::int64_t q0 = b * block, q1 = std::min(Q, q0 + block);
      T* o = out + p * Q;
      for (std::int64_t q = q0; q < q1; ++q) o[q] = 0;
      for (std::int64_t r = 0; r < R; ++r) {
        const T* row = x + (p * R + r) * Q;
        for (std::int64_t q = q0; q < q1; ++q) o[q] += row[q];
      }
    }
  }
}

// Sum over the masked axes of x, result in keepdim shape.
Tensor sum_kernel(const Tensor& x, const std::vector<bool>& mask) {
  Shape keep_shape = x.shape();
  for (std::size_t i = 0; i < mask.size(); ++i)
    if (mask[i]) keep_shape[i] = 1;
  // Contiguous block of reduced axes on a contiguous tensor: reduce in place as (P, R, Q).
  auto first = std::find(mask.begin(), mask.end(), true);
  auto last = std::find(first, mask.end(), false);
  const bool block = std::find(last, mask.end(), true) == mask.end();
  Tensor src = x;
  std::int64_t P = 1, R = 1, Q = 1;
  if (block) {
    src = detail::contiguous_data(x);
    for (std::size_t i = 0; i < mask.size(); ++i) {
      const auto pos = static_cast<std::ptrdiff_t>(i);
      (pos < first - mask.begin() ? P : pos < last - mask.begin() ? R : Q) *= x.shape()[i];
    }
  } else {
    // Move the reduced axes last, then reduce rows.
    std::vector<std::int64_t> perm;
    for (std::size_t i = 0; i < mask.size(); ++i)
      if (!mask[i]) perm.push_back(static_cast<std::int64_t>(i));
    for (std::size_t i = 0; i < mask.size(); ++i)
      if (mask[i]) {
        perm.push_back(static_cast<std::int64_t>(i));
        R *= x.shape()[i];
      }
    Shape shape, strides;
    for (auto p : perm) {
      shape.push_back(x.shape()[p]);
      strides.push_back(x.strides()[p]);
    }
    src = x.as_strided(shape, strides, x.offset()).clone();
    P = numel(x.shape()) / std::max<std::int64_t>(R, 1);
  }
  Tensor out = Tensor::empty(keep_shape, x.dtype());
  dispatch_float(x.dtype(), "sum", [&]<class T>() {
    if (R == 0) std::fill_n(out.data<T>(), out.numel(), T(0));
    else sum_middle<T>(src.data<T>(), out.data<T>(), P, R, Q);
  });
  return out;
}

Shape drop_reduced(const Shape& keep_shape, const std::vector<bool>& mask) {
  Shape out;
  for (std::size_t i = 0; i < mask.size(); ++i)
    if (!mask[i]) out.push_back(keep_shape[i]);
  return out;
}

Tensor reduce(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdim, bool average, std::string_view op) {
  const auto mask = reduced_mask(x, axes, op);
  Tensor out = sum_kernel(x, mask);
  std::int64_t count = 1;
  for (std::size_t i = 0; i < mask.size(); ++i)
    if (mask[i]) count *= x.shape()[i];
  if (average) {
    NoGradGuard no_grad;
    out = mul(out, 1.0 / static_cast<double>(std::max<std::int64_t>(count, 1)));
  }
  const Shape keep_shape = out.shape();
  if (!keepdim) out = out.as_strided(drop_reduced(keep_shape, mask), contiguous_strides(drop_reduced(keep_shape, mask)), 0);
  const double scale = average ? 1.0 / static_cast<double>(std::max<std::int64_t>(count, 1)) : 1.0;
  return record(out, op, {x}, [keep_shape, x_shape = x.shape(), scale](const Tensor& g, const std::vector<bool>&) {
    Tensor gk = g.as_strided(keep_shape, contiguous_strides(keep_shape), g.offset());
    if (scale != 1.0) gk = mul(gk, scale);
    // Broadcast back with stride-0 axes: no copy until the engine needs one.
    return std::vector<Tensor>{gk.as_strided(x_shape, broadcast_strides(keep_shape, gk.strides(), x_shape), gk.offset())};
  });
}

std::vector<std::int64_t> all_axes(const Tensor& x) {
  std::vector<std::int64_t> axes(x.dim());
  std::iota(axes.begin(), axes.end(), 0);
  return axes;
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdim) {
  return reduce(x, axes, keepdim, false, "sum");
}
Tensor mean(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdim) {
  return reduce(x, axes, keepdim, true, "mean");
}
Tensor sum(const Tensor& x) { return sum(x, all_axes(x)); }
Tensor mean(const Tensor& x) { return mean(x, all_axes(x)); }

Tensor sum_to(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  if (shape.size() > g.dim()) fail("sum_to: cannot reduce shape {} to the larger rank of {}", to_string(g.shape()), to_string(shape));
  const std::size_t lead = g.dim() - shape.size();
  std::vector<std::int64_t> axes;
  for (std::size_t i = 0; i < g.dim(); ++i) {
    if (i < lead) axes.push_back(static_cast<std::int64_t>(i));
    else if (shape[i - lead] == 1 && g.shape()[i] != 1) axes.push_back(static_cast<std::int64_t>(i));
    else if (shape[i - lead] != g.shape()[i])
      fail("sum_to: shape {} is not a broadcast of {}", to_string(g.shape()), to_string(shape));
  }
  return reshape(sum(g, axes, true), shape);
}

}  // namespace sinklab::ops
