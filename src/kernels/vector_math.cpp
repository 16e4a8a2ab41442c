#include "kernels/vector_math.h"

#include <algorithm>
#include <atomic>
#include <type_traits>

#include "engine/strided.h"
#include "kernels/vector_isa.h"
#include "kernels/vector_kernels.h"

namespace sinklab::kernels {
namespace {

constexpr std::int64_t chunk = 4096;  // elements per parallel task

Isa best_isa() {
  if (isa_supported(Isa::avx512)) return Isa::avx512;
  if (isa_supported(Isa::avx2)) return Isa::avx2;
  return Isa::baseline;
}

std::atomic<Isa> active{best_isa()};

template <class T>
const VectorKernels<T>& kernels() {
  if constexpr (std::is_same_v<T, float>) {
    switch (active.load(std::memory_order_relaxed)) {
      case Isa::avx512: return vector_kernels_avx512_f32();
      case Isa::avx2: return vector_kernels_avx2_f32();
      case Isa::baseline: break;
    }
    return vector_kernels_baseline_f32();
  } else {
    switch (active.load(std::memory_order_relaxed)) {
      case Isa::avx512: return vector_kernels_avx512_f64();
      case Isa::avx2: return vector_kernels_avx2_f64();
      case Isa::baseline: break;
    }
    return vector_kernels_baseline_f64();
  }
}

// body(start, length) over [0, n) in chunks, in parallel when the work is large enough.
template <class Body>
void chunks(std::int64_t n, Body&& body) {
  const std::int64_t count = (n + chunk - 1) / chunk;
#pragma omp parallel for schedule(static) if (parallel_worthwhile(n))
  for (std::int64_t c = 0; c < count; ++c) body(c * chunk, std::min(chunk, n - c * chunk));
}

// An elementwise kernel over [0, n) in chunks, each array advanced to the chunk.
template <class T>
void map_chunks(void (*kernel)(const T*, T*, std::int64_t), const T* x, T* y, std::int64_t n) {
  chunks(n, [&](std::int64_t at, std::int64_t len) { kernel(x + at, y + at, len); });
}

template <class T>
void map_chunks(void (*kernel)(const T*, const T*, T*, std::int64_t), const T* g, const T* x, T* gx, std::int64_t n) {
  chunks(n, [&](std::int64_t at, std::int64_t len) { kernel(g + at, x + at, gx + at, len); });
}

}  // namespace

bool isa_supported(Isa isa) {
  __builtin_cpu_init();
  switch (isa) {
#if defined(__clang__)
    // Clang 14 (the fuzz build) knows no level names; these are the levels' features it can ask about.
    case Isa::avx512:
      return isa_supported(Isa::avx2) && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    case Isa::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi") &&
             __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt") && __builtin_cpu_supports("sse4.2");
#else
    case Isa::avx512: return __builtin_cpu_supports("x86-64-v4");
    case Isa::avx2: return __builtin_cpu_supports("x86-64-v3");
#endif
    case Isa::baseline: return true;
  }
  return false;
}

Isa current_isa() { return active.load(); }

std::string_view isa_name(Isa isa) {
  switch (isa) {
    case Isa::avx512: return "avx512";
    case Isa::avx2: return "avx2";
    case Isa::baseline: return "baseline";
  }
  return "?";
}

bool use_isa(Isa isa) {
  if (!isa_supported(isa)) return false;
  active.store(isa);
  return true;
}

template <class T>
void gelu_tanh(const T* x, T* y, std::int64_t n) {
  map_chunks(kernels<T>().gelu_tanh, x, y, n);
}

template <class T>
void gelu_tanh_backward(const T* g, const T* x, T* gx, std::int64_t n) {
  map_chunks(kernels<T>().gelu_tanh_backward, g, x, gx, n);
}

template <class T>
void silu(const T* x, T* y, std::int64_t n) {
  map_chunks(kernels<T>().silu, x, y, n);
}

template <class T>
void silu_backward(const T* g, const T* x, T* gx, std::int64_t n) {
  map_chunks(kernels<T>().silu_backward, g, x, gx, n);
}

template <class T>
void sigmoid(const T* x, T* y, std::int64_t n) {
  map_chunks(kernels<T>().sigmoid, x, y, n);
}

template <class T>
void sigmoid_backward(const T* g, const T* x, T* gx, std::int64_t n) {
  map_chunks(kernels<T>().sigmoid_backward, g, x, gx, n);
}

template <class T>
T max_of(const T* x, std::int64_t n) {
  return kernels<T>().max_of(x, n);
}

template <class T>
T exp_shifted(const T* x, T shift, T* y, std::int64_t n) {
  return kernels<T>().exp_shifted(x, shift, y, n);
}

template <class T>
T log_sum_exp(const T* x, T shift, std::int64_t n) {
  return kernels<T>().log_sum_exp(x, shift, n);
}

template <class T>
void normalize_row(const T* x, const T* w, const T* b, T* y, std::int64_t n, T eps, bool center, T* stats) {
  kernels<T>().normalize_row(x, w, b, y, n, eps, center, stats);
}

template <class T>
T softmax_row(const T* x, T* y, std::int64_t n, T in_scale, T out_scale) {
  return kernels<T>().softmax_row(x, y, n, in_scale, out_scale);
}

template <class T>
void softmax_weights_backward(T* z, T* d, T lse, T dot, std::int64_t n) {
  kernels<T>().softmax_weights_backward(z, d, lse, dot, n);
}

template <class T>
void normalize_row_backward(const T* x, const T* g, const T* w, T mu, T rstd, std::int64_t n, bool center, T* gx,
                            T* acc_w, T* acc_b) {
  kernels<T>().normalize_row_backward(x, g, w, mu, rstd, n, center, gx, acc_w, acc_b);
}

double sum_squares(const float* x, std::int64_t n) { return kernels<float>().sum_squares(x, n); }

void adamw_update(float* p, const float* g, float* m, float* v, std::int64_t n, const AdamWStep& step) {
  const auto& k = kernels<float>();
  chunks(n, [&](std::int64_t at, std::int64_t len) { k.adamw_update(p + at, g + at, m + at, v + at, len, step); });
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
template float softmax_row<float>(const float*, float*, std::int64_t, float, float);
template double softmax_row<double>(const double*, double*, std::int64_t, double, double);
template void softmax_weights_backward<float>(float*, float*, float, float, std::int64_t);
template void softmax_weights_backward<double>(double*, double*, double, double, std::int64_t);
template float max_of<float>(const float*, std::int64_t);
template double max_of<double>(const double*, std::int64_t);
template float exp_shifted<float>(const float*, float, float*, std::int64_t);
template double exp_shifted<double>(const double*, double, double*, std::int64_t);
template float log_sum_exp<float>(const float*, float, std::int64_t);
template double log_sum_exp<double>(const double*, double, std::int64_t);
template void normalize_row<float>(const float*, const float*, const float*, float*, std::int64_t, float, bool, float*);
template void normalize_row<double>(const double*, const double*, const double*, double*, std::int64_t, double, bool,
                                    double*);
template void normalize_row_backward<float>(const float*, const float*, const float*, float, float, std::int64_t, bool,
                                            float*, float*, float*);
template void normalize_row_backward<double>(const double*, const double*, const double*, double, double, std::int64_t,
                                             bool, double*, double*, double*);

}  // namespace sinklab::kernels
