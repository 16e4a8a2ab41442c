#include "ops/activation.h"

#include <cmath>
#include <numbers>

#include "engine/autograd.h"
#include "kernels/vector_math.h"
#include "ops/map.h"

namespace sinklab::ops {
namespace {

// y = f(x); the backward multiplies g by f'(x), recomputed from the saved input.
template <class F, class DF>
Tensor pointwise(const Tensor& x, std::string_view name, F f, DF df) {
  Tensor out = dispatch_float(x.dtype(), name, [&]<class T>() { return detail::unary_map<T>(x, f); });
  return record(out, name, {x}, [x = x.detach(), name, df](const Tensor& g, const std::vector<bool>&) {
    return std::vector<Tensor>{dispatch_float(x.dtype(), name, [&]<class T>() {
      return detail::binary_map<T>(g, x, name, [&](T gv, T xv) { return gv * df(xv); });
    })};
  });
}

// A pointwise op whose contiguous inputs (the usual case) go through a vectorised kernel pair;
// views take the generic strided map with the scalar formulas f and df.
template <class F, class DF, class K, class DK>
Tensor activation(const Tensor& x, std::string_view name, F f, DF df, K kernel, DK dkernel) {
  if (!x.is_contiguous()) return pointwise(x, name, f, df);
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  dispatch_float(x.dtype(), name, [&]<class T>() { kernel(x.data<T>(), out.data<T>(), x.numel()); });
  return record(out, name, {x}, [x = x.detach(), name, dkernel](const Tensor& g_in, const std::vector<bool>&) {
    const Tensor g = detail::contiguous_data(g_in);
    Tensor gx = Tensor::empty(x.shape(), x.dtype());
    dispatch_float(x.dtype(), name, [&]<class T>() { dkernel(g.data<T>(), x.data<T>(), gx.data<T>(), x.numel()); });
    return std::vector<Tensor>{gx};
  });
}

template <class T>
T sigmoid_of(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

constexpr double gelu_c = 0.7978845608028654;  // sqrt(2 / pi)
constexpr double gelu_k = 0.044715;

}  // namespace

Tensor gelu(const Tensor& x) {
  return activation(
      x, "gelu",
      [](auto v) {
        using T = decltype(v);
        return T(0.5) * v * (T(1) + std::tanh(T(gelu_c) * (v + T(gelu_k) * v * v * v)));
      },
      [](auto v) {
        using T = decltype(v);
        const T t = std::tanh(T(gelu_c) * (v + T(gelu_k) * v * v * v));
        return T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t * t) * T(gelu_c) * (T(1) + T(3 * gelu_k) * v * v);
      },
      [](const auto* in, auto* out, std::int64_t n) { kernels::gelu_tanh(in, out, n); },
      [](const auto* g, const auto* in, auto* gx, std::int64_t n) { kernels::gelu_tanh_backward(g, in, gx, n); });
}

Tensor silu(const Tensor& x) {
  return activation(
      x, "silu", [](auto v) { return v * sigmoid_of(v); },
      [](auto v) {
        using T = decltype(v);
        const T s = sigmoid_of(v);
        return s * (T(1) + v * (T(1) - s));
      },
      [](const auto* in, auto* out, std::int64_t n) { kernels::silu(in, out, n); },
      [](const auto* g, const auto* in, auto* gx, std::int64_t n) { kernels::silu_backward(g, in, gx, n); });
}

Tensor sigmoid(const Tensor& x) {
  return activation(
      x, "sigmoid", [](auto v) { return sigmoid_of(v); },
      [](auto v) {
        using T = decltype(v);
        const T s = sigmoid_of(v);
        return s * (T(1) - s);
      },
      [](const auto* in, auto* out, std::int64_t n) { kernels::sigmoid(in, out, n); },
      [](const auto* g, const auto* in, auto* gx, std::int64_t n) { kernels::sigmoid_backward(g, in, gx, n); });
}

}  // namespace sinklab::ops
