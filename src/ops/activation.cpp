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

template <class T>
T sigmoid_of(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

constexpr double gelu_c = 0.7978845608028654;  // sqrt(2 / pi)
constexpr double gelu_k = 0.044715;

}  // namespace

Tensor gelu(const Tensor& x) {
  // Contiguous input (the MLP's case) goes through the vectorised kernel; views take the generic map.
  if (!x.is_contiguous())
    return pointwise(
        x, "gelu",
        [](auto v) {
          using T = decltype(v);
          return T(0.5) * v * (T(1) + std::tanh(T(gelu_c) * (v + T(gelu_k) * v * v * v)));
        },
        [](auto v) {
          using T = decltype(v);
          const T t = std::tanh(T(gelu_c) * (v + T(gelu_k) * v * v * v));
          return T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t * t) * T(gelu_c) * (T(1) + T(3 * gelu_k) * v * v);
        });
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  dispatch_float(x.dtype(), "gelu", [&]<class T>() { kernels::gelu_tanh<T>(x.data<T>(), out.data<T>(), x.numel()); });
  return record(out, "gelu", {x}, [x = x.detach()](const Tensor& g_in, const std::vector<bool>&) {
    const Tensor g = detail::contiguous_data(g_in);
    Tensor gx = Tensor::empty(x.shape(), x.dtype());
    dispatch_float(x.dtype(), "gelu backward",
                   [&]<class T>() { kernels::gelu_tanh_backward<T>(g.data<T>(), x.data<T>(), gx.data<T>(), x.numel()); });
    return std::vector<Tensor>{gx};
  });
}

Tensor silu(const Tensor& x) {
  return pointwise(
      x, "silu", [](auto v) { return v * sigmoid_of(v); },
      [](auto v) {
        using T = decltype(v);
        const T s = sigmoid_of(v);
        return s * (T(1) + v * (T(1) - s));
      });
}

Tensor sigmoid(const Tensor& x) {
  return pointwise(
      x, "sigmoid", [](auto v) { return sigmoid_of(v); },
      [](auto v) {
        using T = decltype(v);
        const T s = sigmoid_of(v);
        return s * (T(1) - s);
      });
}

}  // namespace sinklab::ops
