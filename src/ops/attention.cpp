#include "ops/attention.h"

#include <cmath>

#include "engine/autograd.h"
#include "kernels/gemm.h"
#include "kernels/vector_math.h"
#include "ops/map.h"

namespace sinklab::ops {
namespace {

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
    } else {
      for (std::int64_t j = 0; j <= i; ++j) row[j] *= sc;
      S m = kernels::max_of(row, i + 1);
      if (sink) m = std::max(m, sink[h]);
      const S sum = (sink ? std::exp(sink[h] - m) : S(0)) + kernels::exp_shifted(row, m, row, i + 1);
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
      S dot = 0, mass = 0;
      for (std::int64_t j = 0; j <= i; ++j) {
        dot += dr[j] * pr[j];
        mass += pr[j];
      }
      for (std::int64_t j = 0; j <= i; ++j) dr[j] = pr[j] * (dr[j] - dot) * sc;
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
  const Tensor q = detail::contiguous_data(q_in), k = detail::contiguous_data(k_in), v = detail::contiguous_data(v_in);
  const std::int64_t T = q.shape()[q.dim() - 2], D = q.shape().back(), H = q.shape()[q.dim() - 3];
  const Shape4 s{T * D == 0 ? 0 : q.numel() / (T * D), H, T, D};
  if (sink_in.defined()) {
    if (options.kind != AttentionKind::softmax) fail("causal_attention: a sink logit needs softmax attention");
    if (sink_in.shape() != Shape{H}) fail("causal_attention: sink logits must be ({},), one per head; got {}", H, to_string(sink_in.shape()));
    detail::check_same_dtype(q_in, sink_in, "causal_attention");
  }
  const Tensor sink = sink_in.defined() ? detail::contiguous_data(sink_in) : Tensor();
  const double scale = options.scale != 0 ? options.scale : 1.0 / std::sqrt(static_cast<double>(D));
  Shape probs_shape(q.shape().begin(), q.shape().end() - 1);
  probs_shape.push_back(T);

  Tensor probs = Tensor::empty(probs_shape, q.dtype());  // (BH, T, T); row i holds keys 0..i
  Tensor extra = Tensor::empty({s.BH * T}, q.dtype());
  Tensor out = Tensor::empty(q.shape(), q.dtype());
  if (s.BH > 0) {
    kernels::gemm(q.dtype(), view(q, s.BH, T, D), view(k, s.BH, T, D, true), probs.raw_data());
    dispatch_float(q.dtype(), "causal_attention", [&]<class S>() {
      normalize_rows<S>(probs.data<S>(), extra.data<S>(), sink.defined() ? sink.data<S>() : nullptr, s, options, scale);
    });
    kernels::gemm(q.dtype(), view(probs, s.BH, T, T), view(v, s.BH, T, D), out.raw_data());
  }

  AttentionResult result;
  if (options.return_probs) result.probs = probs.detach();
  result.out = record(out, "causal_attention", {q_in, k_in, v_in, sink_in},
                      [q, k, v, probs, extra, s, scale, options, has_sink = sink.defined()](const Tensor& g, const std::vector<bool>& needs) {
                        const DType dt = q.dtype();
                        const std::int64_t BH = s.BH, T = s.T, D = s.D;
                        Tensor gq, gk, gv, gsink;
                        if (needs[2]) {  // dV = P^T dO
                          gv = Tensor::empty(v.shape(), dt);
                          kernels::gemm(dt, view(probs, BH, T, T, true), view(g, BH, T, D), gv.raw_data());
                        }
                        Tensor ds = Tensor::empty(probs.shape(), dt);  // dP = dO V^T, then d(q.k) in place
                        kernels::gemm(dt, view(g, BH, T, D), view(v, BH, T, D, true), ds.raw_data());
                        if (has_sink) gsink = Tensor::zeros({s.H}, dt);
                        dispatch_float(dt, "causal_attention backward", [&]<class S>() {
                          score_gradients<S>(probs.data<S>(), extra.data<S>(), ds.data<S>(), has_sink ? gsink.data<S>() : nullptr, s,
                                             options, scale);
                        });
                        if (needs[0]) {  // dQ = dS K
                          gq = Tensor::empty(q.shape(), dt);
                          kernels::gemm(dt, view(ds, BH, T, T), view(k, BH, T, D), gq.raw_data());
                        }
                        if (needs[1]) {  // dK = dS^T Q
                          gk = Tensor::empty(k.shape(), dt);
                          kernels::gemm(dt, view(ds, BH, T, T, true), view(q, BH, T, D), gk.raw_data());
                        }
                        return std::vector<Tensor>{gq, gk, gv, gsink};
                      });
  return result;
}

}  // namespace sinklab::ops
