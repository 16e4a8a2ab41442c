#include "kernels/vector_math.h"

#include <Eigen/Core>

#include "engine/strided.h"

namespace sinklab::kernels {
namespace {

template <class T>
using In = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using Out = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;

constexpr double gelu_c = 0.7978845608028654;  // sqrt(2 / pi)
constexpr double gelu_k = 0.044715;
constexpr std::int64_t chunk = 4096;  // elements per parallel task

// body(start, length) over [0, n) in chunks, in parallel when the work is large enough.
template <class Body>
void chunks(std::int64_t n, Body&& body) {
  const std::int64_t count = (n + chunk - 1) / chunk;
#pragma omp parallel for schedule(static) if (parallel_worthwhile(n))
  for (std::int64_t c = 0; c < count; ++c) body(c * chunk, std::min(chunk, n - c * chunk));
}

}  // namespace

template <class T>
void gelu_tanh(const T* x, T* y, std::int64_t n) {
  chunks(n, [&](std::int64_t at, std::int64_t len) {
    const In<T> v(x + at, len);
    Out<T>(y + at, len) = T(0.5) * v * (T(1) + (T(gelu_c) * (v + T(gelu_k) * v.cube())).tanh());
  });
}

template <class T>
void gelu_tanh_backward(const T* g, const T* x, T* gx, std::int64_t n) {
  chunks(n, [&](std::int64_t at, std::int64_t len) {
    const In<T> v(x + at, len), gv(g + at, len);
    const Eigen::Array<T, Eigen::Dynamic, 1> t = (T(gelu_c) * (v + T(gelu_k) * v.cube())).tanh();
    Out<T>(gx + at, len) =
        gv * (T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t.square()) * T(gelu_c) * (T(1) + T(3 * gelu_k) * v.square()));
  });
}

template <class T>
void silu(const T* x, T* y, std::int64_t n) {
  chunks(n, [&](std::int64_t at, std::int64_t len) {
    const In<T> v(x + at, len);
    Out<T>(y + at, len) = v * v.logistic();
  });
}

template <class T>
void silu_backward(const T* g, const T* x, T* gx, std::int64_t n) {
  chunks(n, [&](std::int64_t at, std::int64_t len) {
    const In<T> v(x + at, len), gv(g + at, len);
    const Eigen::Array<T, Eigen::Dynamic, 1> s = v.logistic();
    Out<T>(gx + at, len) = gv * s * (T(1) + v * (T(1) - s));
  });
}

template <class T>
void sigmoid(const T* x, T* y, std::int64_t n) {
  chunks(n, [&](std::int64_t at, std::int64_t len) { Out<T>(y + at, len) = In<T>(x + at, len).logistic(); });
}

template <class T>
void sigmoid_backward(const T* g, const T* x, T* gx, std::int64_t n) {
  chunks(n, [&](std::int64_t at, std::int64_t len) {
    const Eigen::Array<T, Eigen::Dynamic, 1> s = In<T>(x + at, len).logistic();
    Out<T>(gx + at, len) = In<T>(g + at, len) * s * (T(1) - s);
  });
}

template <class T>
T max_of(const T* x, std::int64_t n) {
  return In<T>(x, n).maxCoeff();
}

template <class T>
T exp_shifted(const T* x, T shift, T* y, std::int64_t n) {
  Out<T> out(y, n);
  out = (In<T>(x, n) - shift).exp();  // elementwise, so y may alias x
  return out.sum();
}

template <class T>
void scaled_exp(const T* x, T shift, T scale, T* y, std::int64_t n) {
  Out<T>(y, n) = (In<T>(x, n) - shift).exp() * scale;
}

template <class T>
T log_sum_exp(const T* x, T shift, std::int64_t n) {
  return std::log((In<T>(x, n) - shift).exp().sum()) + shift;
}

template void gelu_tanh<float>(const float*, float*, std::int64_t);
template void gelu_tanh<double>(const double*, double*, std::int64_t);
template void gelu_tanh_backward<float>(const float*, const float*, float*, std::int64_t);
template void gelu_tanh_backward<double>(const double*, const double*, double*, std::int64_t);
template void silu<float>(const float*, float*, std::int64_t);
template void silu<double>(const double*, double*, std::int64_t);
template void silu_backward<float>(const float*, const float*, float*, std::int64_t);
template void silu_backward<double>(const double*, const double*, double*, std::int64_t);
template void sigmoid<float>(const float*, float*, std::int64_t);
template void sigmoid<double>(const double*, double*, std::int64_t);
template void sigmoid_backward<float>(const float*, const float*, float*, std::int64_t);
template void sigmoid_backward<double>(const double*, const double*, double*, std::int64_t);
template float max_of<float>(const float*, std::int64_t);
template double max_of<double>(const double*, std::int64_t);
template void scaled_exp<float>(const float*, float, float, float*, std::int64_t);
template void scaled_exp<double>(const double*, double, double, double*, std::int64_t);
template float exp_shifted<float>(const float*, float, float*, std::int64_t);
template double exp_shifted<double>(const double*, double, double*, std::int64_t);
template float log_sum_exp<float>(const float*, float, std::int64_t);
template double log_sum_exp<double>(const double*, double, std::int64_t);

}  // namespace sinklab::kernels
