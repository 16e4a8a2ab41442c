#pragma once
// One instruction set's build of the sequential loops behind vector_math.h, as a table of
// function pointers; vector_math.cpp splits the work over threads and calls the table of the
// instruction set in use.
#include <cstdint>

#include "kernels/vector_math.h"

namespace sinklab::kernels {

template <class T>
struct VectorKernels {
  void (*gelu_tanh)(const T* x, T* y, std::int64_t n);
  void (*gelu_tanh_backward)(const T* g, const T* x, T* gx, std::int64_t n);
  void (*silu)(const T* x, T* y, std::int64_t n);
  void (*silu_backward)(const T* g, const T* x, T* gx, std::int64_t n);
  void (*sigmoid)(const T* x, T* y, std::int64_t n);
  void (*sigmoid_backward)(const T* g, const T* x, T* gx, std::int64_t n);
  T (*max_of)(const T* x, std::int64_t n);
  T (*exp_shifted)(const T* x, T shift, T* y, std::int64_t n);
  T (*log_sum_exp)(const T* x, T shift, std::int64_t n);
  T (*softmax_row)(const T* x, T* y, std::int64_t n, T in_scale, T out_scale);
  void (*softmax_weights_backward)(T* z, T* d, T lse, T dot, std::int64_t n);
  void (*normalize_row)(const T* x, const T* w, const T* b, T* y, std::int64_t n, T eps, bool center, T* stats);
  void (*normalize_row_backward)(const T* x, const T* g, const T* w, T mu, T rstd, std::int64_t n, bool center, T* gx,
                                 T* acc_w, T* acc_b);
  // float only (null in the double table)
  double (*sum_squares)(const float* x, std::int64_t n);
  void (*adamw_update)(float* p, const float* g, float* m, float* v, std::int64_t n, const AdamWStep& step);
};

// Defined in vector_kernels_{baseline,avx2,avx512}.cpp.
const VectorKernels<float>& vector_kernels_baseline_f32();
const VectorKernels<double>& vector_kernels_baseline_f64();
const VectorKernels<float>& vector_kernels_avx2_f32();
const VectorKernels<double>& vector_kernels_avx2_f64();
const VectorKernels<float>& vector_kernels_avx512_f32();
const VectorKernels<double>& vector_kernels_avx512_f64();

}  // namespace sinklab::kernels
