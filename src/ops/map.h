#pragma once
// Loop helpers shared by the op families (internal to ops/): broadcast elementwise maps and
// parallel loops over the rows of a last-axis op.
#include <string_view>

#include "engine/strided.h"
#include "engine/tensor.h"

namespace sinklab::ops::detail {

inline void check_same_dtype(const Tensor& a, const Tensor& b, std::string_view op) {
  if (a.dtype() != b.dtype())
    fail("{}: dtypes differ ({} {} vs {} {})", op, dtype_name(a.dtype()), to_string(a.shape()), dtype_name(b.dtype()),
         to_string(b.shape()));
}

// out[i] = f(a[i], b[i]) with NumPy broadcasting; out is a new contiguous tensor.
template <class T, class F>
Tensor binary_map(const Tensor& a, const Tensor& b, std::string_view op, F f) {
  check_same_dtype(a, b, op);
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  Tensor out = Tensor::empty(shape, a.dtype());
  const Shape sa = broadcast_strides(a.shape(), a.strides(), shape);
  const Shape sb = broadcast_strides(b.shape(), b.strides(), shape);
  const Shape& so = out.strides();
  T* po = out.data<T>();
  const T* pa = static_cast<const T*>(a.storage()->data());
  const T* pb = static_cast<const T*>(b.storage()->data());
  for_each_row<3>(shape, {&so, &sa, &sb}, {0, a.offset(), b.offset()},
                  [&](const auto& off, std::int64_t n, const auto& inc) {
                    T* o = po + off[0];
                    const T* x = pa + off[1];
                    const T* y = pb + off[2];
                    if (inc[1] == 1 && inc[2] == 1) {
#pragma omp simd
                      for (std::int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
                    } else if (inc[1] == 1 && inc[2] == 0) {
                      const T yv = *y;
#pragma omp simd
                      for (std::int64_t i = 0; i < n; ++i) o[i] = f(x[i], yv);
                    } else {
                      for (std::int64_t i = 0; i < n; ++i) o[i] = f(x[i * inc[1]], y[i * inc[2]]);
                    }
                  });
  return out;
}

// out[i] = f(x[i]); out is a new contiguous tensor. Unit-stride rows run as SIMD loops (`omp simd`:
// out is a fresh buffer, so nothing aliases).
template <class T, class F>
Tensor unary_map(const Tensor& x, F f) {
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  T* po = out.data<T>();
  const T* px = static_cast<const T*>(x.storage()->data());
  for_each_row<2>(x.shape(), {&out.strides(), &x.strides()}, {0, x.offset()},
                  [&](const auto& off, std::int64_t n, const auto& inc) {
                    T* o = po + off[0];
                    const T* v = px + off[1];
                    if (inc[1] == 1) {
#pragma omp simd
                      for (std::int64_t i = 0; i < n; ++i) o[i] = f(v[i]);
                    } else {
                      for (std::int64_t i = 0; i < n; ++i) o[i] = f(v[i * inc[1]]);
                    }
                  });
  return out;
}

// Runs body(row) for row in [0, rows), in parallel when rows * row_len is large enough.
template <class Body>
void for_rows(std::int64_t rows, std::int64_t row_len, Body&& body) {
#pragma omp parallel for schedule(static) if (parallel_worthwhile(rows * row_len))
  for (std::int64_t r = 0; r < rows; ++r) body(r);
}

inline Tensor contiguous_data(const Tensor& t) { return t.is_contiguous() ? t : t.clone(); }

}  // namespace sinklab::ops::detail
