#pragma once
// Transcendental loops over contiguous arrays, vectorised through Eigen's packet math. Scalar
// libm calls (GELU's tanh, the exp of softmax and cross-entropy) took over a quarter of a GPT-2
// style training step; these run the same formulas several elements at a time. The activations
// split their work over threads; the row functions run inside the caller's parallel row loop.
#include <cstdint>

namespace sinklab::kernels {

// y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))  (GELU, tanh form)
template <class T>
void gelu_tanh(const T* x, T* y, std::int64_t n);

// gx = g * d/dx gelu_tanh(x)
template <class T>
void gelu_tanh_backward(const T* g, const T* x, T* gx, std::int64_t n);

// y = x * sigmoid(x)  (SiLU)
template <class T>
void silu(const T* x, T* y, std::int64_t n);

// gx = g * d/dx silu(x)
template <class T>
void silu_backward(const T* g, const T* x, T* gx, std::int64_t n);

// y = 1 / (1 + exp(-x))
template <class T>
void sigmoid(const T* x, T* y, std::int64_t n);

// gx = g * s (1 - s), s = sigmoid(x)
template <class T>
void sigmoid_backward(const T* g, const T* x, T* gx, std::int64_t n);

// The largest of x[0..n), n >= 1.
template <class T>
T max_of(const T* x, std::int64_t n);

// y = exp(x - shift) (y may be x); returns the sum of y. One softmax row.
template <class T>
T exp_shifted(const T* x, T shift, T* y, std::int64_t n);

// y = scale * exp(x - shift). One cross-entropy gradient row.
template <class T>
void scaled_exp(const T* x, T shift, T scale, T* y, std::int64_t n);

// log(sum(exp(x - shift))) + shift, without writing anything.
template <class T>
T log_sum_exp(const T* x, T shift, std::int64_t n);

}  // namespace sinklab::kernels
