#pragma once
// The elementwise and per-row loops that dominate a training step outside the matrix products,
// over contiguous arrays, vectorised through Eigen's packet math with the widest vectors the CPU
// has (vector_isa.h). Scalar libm calls (GELU's tanh, the exp of softmax and cross-entropy) took
// over a quarter of a GPT-2 style step, and the scalar reductions of the norms and the optimizer
// did not vectorise at all. The activations and the AdamW update split their work over threads;
// the row functions and sum_squares run in the caller's thread (or its parallel row loop).
#include <cstdint>
#include <utility>

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

// y = out_scale * softmax(in_scale * x) (y may be x), one exp per element; returns the log-sum-exp
// of in_scale * x. A cross-entropy gradient row (out_scale 1/count) or an attention row.
template <class T>
T softmax_row(const T* x, T* y, std::int64_t n, T in_scale, T out_scale);

// log(sum(exp(x - shift))) + shift, without writing anything.
template <class T>
T log_sum_exp(const T* x, T shift, std::int64_t n);

// The backward of one softmax row recomputed from its scores z and log-sum-exp: z = p = exp(z - lse),
// then d = p * (d - dot) in place of dP, with dot = sum(p dP) over the whole row (a tile of
// attention keys; FlashAttention's backward).
template <class T>
void softmax_weights_backward(T* z, T* d, T lse, T dot, std::int64_t n);

// One row of LayerNorm (center) or RMSNorm: mu = mean(x) (0 without center), rstd = 1/sqrt(mean((x -
// mu)^2) + eps), y = (x - mu) rstd w + b (w, b may be null). Writes stats = {mu, rstd}.
template <class T>
void normalize_row(const T* x, const T* w, const T* b, T* y, std::int64_t n, T eps, bool center, T* stats);

// The backward of one normalize_row: gx, and g * xhat added into acc_w, g into acc_b (either may be
// null, and w may be null).
template <class T>
void normalize_row_backward(const T* x, const T* g, const T* w, T mu, T rstd, std::int64_t n, bool center, T* gx,
                            T* acc_w, T* acc_b);

// The sum of x^2: float partial sums over blocks of 512 elements, the blocks summed in double.
double sum_squares(const float* x, std::int64_t n);

// The scalars of one AdamW step (decoupled weight decay as keep = 1 - lr wd).
struct AdamWStep {
  float keep, beta1, beta2, step_size, bias2_sqrt, eps;
};

// m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2;
// p = p keep - step_size m / (sqrt(v) / bias2_sqrt + eps), in torch.optim.AdamW's order.
void adamw_update(float* p, const float* g, float* m, float* v, std::int64_t n, const AdamWStep& step);

}  // namespace sinklab::kernels
