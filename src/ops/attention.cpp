#include "ops/attention.h"

#include <cmath>

#include "engine/autograd.h"
#include "kernels/gemm.h"
#include "kernels/vector_math.h"
#include "ops/map.h"

namespace sinklab::ops {
namespace {

// A (..., H, T, D) tensor as a batch of (T, D) matrices nested (leading dims, head), read in place
// when its strides allow (unit-stride rows, leading dims that collapse to one stride).
struct Heads {
  Tensor data;  // t itself, or a contiguous copy
  std::int64_t batch, T, D, head_stride, row_stride, outer_stride, H;

  kernels::MatrixView view(bool transposed = false) const {
    if (transposed) return {data.raw_data(), batch, D, T, head_stride, 1, row_stride, H, outer_stride};
    return {data.raw_data(), batch, T, D, head_stride, row_stride, 1, H, outer_stride};
  }
};

Heads heads(const Tensor& t) {
  const std::size_t r = t.dim();
  const std::int64_t H = t.shape()[r - 3], T = t.shape()[r - 2], D = t.shape()[r - 1];
  const std::int64_t batch = T * D == 0 ? 0 : t.numel() / (T * D);
  const auto& st = t.strides();
  bool ok = (D == 1 || st[r - 1] == 1) && (T == 1 || st[r - 2] >= D) && (H == 1 || st[r - 3] > 0);
  std::int64_t outer = H * T * D, expected = -1;  // the leading dims must walk as one axis
  for (std::size_t i = r - 3; ok && i-- > 0;) {
    if (t.shape()[i] == 1) continue;
    if (expected < 0) outer = st[i];
    else ok = st[i] == expected;
    ok = ok && st[i] > 0;
    expected = st[i] * t.shape()[i];
  }
  if (ok) return {t.detach(), batch, T, D, H == 1 ? T * D : st[r - 3], T == 1 ? D : st[r - 2], outer, H};
  return {t.clone(), batch, T, D, T * D, D, H * T * D, H};
}

// A new (..., T, H, D) buffer seen as (..., H, T, D), and where a product writes into it.
std::pair<Tensor, kernels::OutputView> heads_output(const Shape& shape, DType dtype) {
  const std::size_t r = shape.size();
  const std::int64_t H = shape[r - 3], T = shape[r - 2], D = shape[r - 1];
  Shape buffer_shape = shape;
  std::swap(buffer_shape[r - 3], buffer_shape[r - 2]);
  const Tensor buffer = Tensor::empty(buffer_shape, dtype);
  Shape strides = buffer.strides();
  std::swap(strides[r - 3], strides[r - 2]);
  return {buffer.as_strided(shape, strides, 0), kernels::OutputView{buffer.raw_data(), D, H * D, H, T * H * D}};
}

// (batch, rows, cols) view of a contiguous (batch, rows, cols) buffer, optionally transposed.
kernels::MatrixView view(const Tensor& t, std::int64_t batch, std::int64_t rows, std::int64_t cols, bool transposed = false) {
  if (transposed) return {t.raw_data(), batch, cols, rows, rows * cols, 1, cols};
  return {t.raw_data(), batch, rows, cols, rows * cols, cols, 1};
}

struct Shape4 {
  std::int64_t BH, H, T, D;
};

// Turns raw scores q.k into attention weights, row by row, in place. `extra` receives one value per
// row: the sigmoid row sum (sigmoid) or nothing.
template <class S>
void normalize_rows(S* p, S* extra, const S* sink, const Shape4& s, const AttentionOptions& o, double scale) {
  detail::for_rows(s.BH * s.T, s.T, [&](std::int64_t r) {
    const std::int64_t i = r % s.T, h = (r / s.T) % s.H;
    S* row = p + r * s.T;
    const auto sc = static_cast<S>(scale);
    if (o.kind == AttentionKind::sigmoid) {
      S sum = 0;
      for (std::int64_t j = 0; j <= i; ++j) sum += (row[j] = S(1) / (S(1) + std::exp(-(row[j] * sc + static_cast<S>(o.sigmoid_bias)))));
      extra[r] = sum;
      if (o.normalize)
        for (std::int64_t j = 0; j <= i; ++j) row[j] /= sum;
    } else if (!sink) {
      kernels::softmax_row(row, row, i + 1, sc, S(1));
    } else {
      for (std::int64_t j = 0; j <= i; ++j) row[j] *= sc;
      const S m = std::max(kernels::max_of(row, i + 1), sink[h]);
      const S sum = std::exp(sink[h] - m) + kernels::exp_shifted(row, m, row, i + 1);
      const S inv = S(1) / sum;
      for (std::int64_t j = 0; j <= i; ++j) row[j] *= inv;
    }
    for (std::int64_t j = i + 1; j < s.T; ++j) row[j] = 0;
  });
}

// Given dP (in place in d), writes d(loss)/d(q.k) and, with a sink, accumulates d(loss)/d(b_h).
template <class S>
void score_gradients(const S* p, const S* extra, S* d, S* sink_grad, const Shape4& s, const AttentionOptions& o, double scale) {
  const auto sc = static_cast<S>(scale);
  std::vector<S> row_sink_grad(sink_grad ? static_cast<std::size_t>(s.BH * s.T) : 0);
  detail::for_rows(s.BH * s.T, s.T, [&](std::int64_t r) {
    const std::int64_t i = r % s.T;
    const S* pr = p + r * s.T;
    S* dr = d + r * s.T;
    if (o.kind == AttentionKind::sigmoid) {
      const S sum = extra[r];
      S dot = 0;
      if (o.normalize)
        for (std::int64_t j = 0; j <= i; ++j) dot += dr[j] * pr[j];
      for (std::int64_t j = 0; j <= i; ++j) {
        const S a = o.normalize ? pr[j] * sum : pr[j];  // the sigmoid itself
        const S da = o.normalize ? (dr[j] - dot) / sum : dr[j];
        dr[j] = da * a * (S(1) - a) * sc;
      }
    } else {
      const auto [dot, mass] = kernels::softmax_row_backward(pr, dr, sc, i + 1);
      // The sink column has weight 1 - mass and no value, so its dP is 0.
      if (sink_grad) row_sink_grad[r] = -(S(1) - mass) * dot;
    }
    for (std::int64_t j = i + 1; j < s.T; ++j) dr[j] = 0;
  });
  if (sink_grad)  // summed in row order: reproducible
    for (std::int64_t r = 0; r < s.BH * s.T; ++r) sink_grad[(r / s.T) % s.H] += row_sink_grad[r];
}

}  // namespace

AttentionResult causal_attention(const Tensor& q_in, const Tensor& k_in, const Tensor& v_in, const AttentionOptions& options,
                                 const Tensor& sink_in) {
  if (q_in.dim() < 3 || q_in.shape() != k_in.shape() || q_in.shape() != v_in.shape())
    fail("causal_attention: q, k, v must share one shape (..., H, T, d_head); got q {}, k {}, v {}", to_string(q_in.shape()),
         to_string(k_in.shape()), to_string(v_in.shape()));
  detail::check_same_dtype(q_in, k_in, "causal_attention");
  detail::check_same_dtype(q_in, v_in, "causal_attention");
  const Heads q = heads(q_in), k = heads(k_in), v = heads(v_in);
  const Shape& shape = q_in.shape();
  const DType dtype = q_in.dtype();
  const std::int64_t T = q.T, D = q.D, H = q.H;
  const Shape4 s{q.batch, H, T, D};
  if (sink_in.defined()) {
    if (options.kind != AttentionKind::softmax) fail("causal_attention: a sink logit needs softmax attention");
    if (sink_in.shape() != Shape{H}) fail("causal_attention: sink logits must be ({},), one per head; got {}", H, to_string(sink_in.shape()));
    detail::check_same_dtype(q_in, sink_in, "causal_attention");
  }
  const Tensor sink = sink_in.defined() ? detail::contiguous_data(sink_in) : Tensor();
  const double scale = options.scale != 0 ? options.scale : 1.0 / std::sqrt(static_cast<double>(D));
  Shape probs_shape(shape.begin(), shape.end() - 1);
  probs_shape.push_back(T);

  Tensor probs = Tensor::empty(probs_shape, dtype);  // (BH, T, T); row i holds keys 0..i
  Tensor extra = Tensor::empty({s.BH * T}, dtype);
  auto [out, out_view] = heads_output(shape, dtype);
  if (s.BH > 0) {
    kernels::gemm(dtype, q.view(), k.view(true), probs.raw_data());
    dispatch_float(dtype, "causal_attention", [&]<class S>() {
      normalize_rows<S>(probs.data<S>(), extra.data<S>(), sink.defined() ? sink.data<S>() : nullptr, s, options, scale);
    });
    kernels::gemm(dtype, view(probs, s.BH, T, T), v.view(), out_view);
  }

  AttentionResult result;
  if (options.return_probs) result.probs = probs.detach();
  result.out = record(out, "causal_attention", {q_in, k_in, v_in, sink_in},
                      [q, k, v, shape, probs, extra, s, scale, options, has_sink = sink.defined()](const Tensor& g_in,
                                                                                                 const std::vector<bool>& needs) {
                        const DType dt = probs.dtype();
                        const std::int64_t BH = s.BH, T = s.T;
                        const Heads g = heads(g_in);
                        Tensor gq, gk, gv, gsink;
                        if (needs[2]) {  // dV = P^T dO
                          auto [grad, into] = heads_output(shape, dt);
                          kernels::gemm(dt, view(probs, BH, T, T, true), g.view(), into);
                          gv = grad;
                        }
                        Tensor ds = Tensor::empty(probs.shape(), dt);  // dP = dO V^T, then d(q.k) in place
                        kernels::gemm(dt, g.view(), v.view(true), ds.raw_data());
                        if (has_sink) gsink = Tensor::zeros({s.H}, dt);
                        dispatch_float(dt, "causal_attention backward", [&]<class S>() {
                          score_gradients<S>(probs.data<S>(), extra.data<S>(), ds.data<S>(), has_sink ? gsink.data<S>() : nullptr, s,
                                             options, scale);
                        });
                        if (needs[0]) {  // dQ = dS K
                          auto [grad, into] = heads_output(shape, dt);
                          kernels::gemm(dt, view(ds, BH, T, T), k.view(), into);
                          gq = grad;
                        }
                        if (needs[1]) {  // dK = dS^T Q
                          auto [grad, into] = heads_output(shape, dt);
                          kernels::gemm(dt, view(ds, BH, T, T, true), q.view(), into);
                          gk = grad;
                        }
                        return std::vector<Tensor>{gq, gk, gv, gsink};
                      });
  take_strided_grad(result.out);  // read through strides: a permuted gradient needs no copy
  return result;
}

}  // namespace sinklab::ops
