// The body of one instruction set's build of the vector kernels, included by
// vector_kernels_{baseline,avx2,avx512}.cpp (each compiled with its own -march) after they define
// SINKLAB_VECTOR_KERNELS(type), the name of their accessor. No include guard on purpose.
//
// Every function is flattened so that Eigen's templates are inlined into it and no shared symbol
// (an out-of-line template the linker would merge across the three builds, running AVX-512 code
// on a CPU without it) leaves the object file, and nothing runs at start-up; the test
// VectorKernels.ExportOnlyTheirAccessors checks both.
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

#include "kernels/vector_kernels.h"

namespace sinklab::kernels {
namespace {

template <class T>
using In = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using Out = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;

#define SINKLAB_FLAT __attribute__((flatten))

constexpr double gelu_c = 0.7978845608028654;  // sqrt(2 / pi)
constexpr double gelu_k = 0.044715;
// Temporaries (the tanh of GELU's backward) live on the stack in blocks of this many elements.
constexpr std::int64_t block = 512;

template <class T>
SINKLAB_FLAT void gelu_tanh(const T* x, T* y, std::int64_t n) {
  const In<T> v(x, n);
  Out<T>(y, n) = T(0.5) * v * (T(1) + (T(gelu_c) * (v + T(gelu_k) * v.cube())).tanh());
}

template <class T>
SINKLAB_FLAT void gelu_tanh_backward(const T* g, const T* x, T* gx, std::int64_t n) {
  for (std::int64_t at = 0; at < n; at += block) {
    const std::int64_t len = std::min(block, n - at);
    const In<T> v(x + at, len), gv(g + at, len);
    Eigen::Array<T, Eigen::Dynamic, 1, 0, block, 1> t = (T(gelu_c) * (v + T(gelu_k) * v.cube())).tanh();
    Out<T>(gx + at, len) =
        gv * (T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t.square()) * T(gelu_c) * (T(1) + T(3 * gelu_k) * v.square()));
  }
}

template <class T>
SINKLAB_FLAT void silu(const T* x, T* y, std::int64_t n) {
  const In<T> v(x, n);
  Out<T>(y, n) = v * v.logistic();
}

template <class T>
SINKLAB_FLAT void silu_backward(const T* g, const T* x, T* gx, std::int64_t n) {
  for (std::int64_t at = 0; at < n; at += block) {
    const std::int64_t len = std::min(block, n - at);
    const In<T> v(x + at, len), gv(g + at, len);
    Eigen::Array<T, Eigen::Dynamic, 1, 0, block, 1> s = v.logistic();
    Out<T>(gx + at, len) = gv * s * (T(1) + v * (T(1) - s));
  }
}

template <class T>
SINKLAB_FLAT void sigmoid(const T* x, T* y, std::int64_t n) {
  Out<T>(y, n) = In<T>(x, n).logistic();
}

template <class T>
SINKLAB_FLAT void sigmoid_backward(const T* g, const T* x, T* gx, std::int64_t n) {
  for (std::int64_t at = 0; at < n; at += block) {
    const std::int64_t len = std::min(block, n - at);
    Eigen::Array<T, Eigen::Dynamic, 1, 0, block, 1> s = In<T>(x + at, len).logistic();
    Out<T>(gx + at, len) = In<T>(g + at, len) * s * (T(1) - s);
  }
}

template <class T>
SINKLAB_FLAT T max_of(const T* x, std::int64_t n) {
  return In<T>(x, n).maxCoeff();
}

template <class T>
SINKLAB_FLAT T exp_shifted(const T* x, T shift, T* y, std::int64_t n) {
  Out<T> out(y, n);
  out = (In<T>(x, n) - shift).exp();  // elementwise, so y may alias x
  return out.sum();
}

template <class T>
SINKLAB_FLAT T log_sum_exp(const T* x, T shift, std::int64_t n) {
  return std::log((In<T>(x, n) - shift).exp().sum()) + shift;
}

template <class T>
SINKLAB_FLAT T softmax_row(const T* x, T* y, std::int64_t n, T in_scale, T out_scale) {
  const In<T> v(x, n);
  const T m = in_scale >= 0 ? v.maxCoeff() * in_scale : v.minCoeff() * in_scale;
  Out<T> out(y, n);
  out = (v * in_scale - m).exp();  // elementwise, so y may alias x
  const T sum = out.sum();
  out *= out_scale / sum;
  return std::log(sum) + m;
}

template <class T>
SINKLAB_FLAT void softmax_weights_backward(T* z, T* d, T lse, T dot, std::int64_t n) {
  Out<T> p(z, n), dv(d, n);
  p = (p - lse).exp();
  dv = p * (dv - dot);
}

template <class T>
SINKLAB_FLAT void normalize_row(const T* x, const T* w, const T* b, T* y, std::int64_t n, T eps, bool center,
                                T* stats) {
  const In<T> v(x, n);
  const T mu = center ? v.sum() / static_cast<T>(n) : T(0);
  const T rstd = T(1) / std::sqrt((v - mu).square().sum() / static_cast<T>(n) + eps);
  stats[0] = mu;
  stats[1] = rstd;
  Out<T> out(y, n);
  if (w != nullptr && b != nullptr) out = (v - mu) * rstd * In<T>(w, n) + In<T>(b, n);
  else if (w != nullptr) out = (v - mu) * rstd * In<T>(w, n);
  else if (b != nullptr) out = (v - mu) * rstd + In<T>(b, n);
  else out = (v - mu) * rstd;
}

template <class T>
SINKLAB_FLAT void normalize_row_backward(const T* x, const T* g, const T* w, T mu, T rstd, std::int64_t n, bool center,
                                         T* gx, T* acc_w, T* acc_b) {
  const In<T> v(x, n), gv(g, n);
  const auto xhat = (v - mu) * rstd;
  T sum_d, sum_dx;  // sums of d = g w and d xhat over the row
  if (w != nullptr) {
    const In<T> wv(w, n);
    sum_d = (gv * wv).sum();
    sum_dx = (gv * wv * xhat).sum();
  } else {
    sum_d = gv.sum();
    sum_dx = (gv * xhat).sum();
  }
  if (acc_w != nullptr) Out<T>(acc_w, n) += gv * xhat;
  if (acc_b != nullptr) Out<T>(acc_b, n) += gv;
  const T mean_d = center ? sum_d / static_cast<T>(n) : T(0), mean_dx = sum_dx / static_cast<T>(n);
  if (w != nullptr) Out<T>(gx, n) = rstd * (gv * In<T>(w, n) - mean_d - xhat * mean_dx);
  else Out<T>(gx, n) = rstd * (gv - mean_d - xhat * mean_dx);
}

SINKLAB_FLAT double sum_squares(const float* x, std::int64_t n) {
  double total = 0;  // float partial sums over blocks of 512, the blocks summed in double
  for (std::int64_t at = 0; at < n; at += block) total += In<float>(x + at, std::min(block, n - at)).square().sum();
  return total;
}

SINKLAB_FLAT void adamw_update(float* __restrict p, const float* __restrict g, float* __restrict m, float* __restrict v,
                               std::int64_t n, const AdamWStep& s) {
  const float b1 = s.beta1, b2 = s.beta2, keep = s.keep, step = s.step_size, bias2 = s.bias2_sqrt, eps = s.eps;
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) {
    m[i] = m[i] * b1 + g[i] * (1 - b1);
    v[i] = v[i] * b2 + g[i] * g[i] * (1 - b2);
    p[i] = p[i] * keep - step * m[i] / (std::sqrt(v[i]) / bias2 + eps);
  }
}

#undef SINKLAB_FLAT

constexpr VectorKernels<float> table_f32{
    gelu_tanh<float>, gelu_tanh_backward<float>, silu<float>,          silu_backward<float>,
    sigmoid<float>,   sigmoid_backward<float>,   max_of<float>,        exp_shifted<float>,
    log_sum_exp<float>, softmax_row<float>,      softmax_weights_backward<float>, normalize_row<float>,
    normalize_row_backward<float>, sum_squares,  adamw_update};
constexpr VectorKernels<double> table_f64{
    gelu_tanh<double>, gelu_tanh_backward<double>, silu<double>,          silu_backward<double>,
    sigmoid<double>,   sigmoid_backward<double>,   max_of<double>,        exp_shifted<double>,
    log_sum_exp<double>, softmax_row<double>,      softmax_weights_backward<double>, normalize_row<double>,
    normalize_row_backward<double>, nullptr,       nullptr};

}  // namespace

const VectorKernels<float>& SINKLAB_VECTOR_KERNELS(f32)() { return table_f32; }
const VectorKernels<double>& SINKLAB_VECTOR_KERNELS(f64)() { return table_f64; }

}  // namespace sinklab::kernels
