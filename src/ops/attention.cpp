#include "ops/attention.h"

#include <cmath>

#include "engine/autograd.h"
#include "kernels/gemm.h"
#include "ops/map.h"

namespace sinklab::ops {
namespace {

// (batch, rows, cols) view of a contiguous (batch, rows, cols) buffer, optionally transposed.
kernels::MatrixView view(const Tensor& t, std::int64_t batch, std::int64_t rows, std::int64_t cols, bool transposed = false) {
  if (transposed) return {t.raw_data(), batch, cols, rows, rows * cols, 1, cols};
  return {t.raw_data(), batch, rows, cols, rows * cols, cols, 1};
}

}  // namespace

AttentionResult causal_attention(const Tensor& q_in, const Tensor& k_in, const Tensor& v_in, const AttentionOptions& options) {
  if (q_in.dim() < 2 || q_in.shape() != k_in.shape() || q_in.shape() != v_in.shape())
    fail("causal_attention: q, k, v must share one shape (..., T, d_head); got q {}, k {}, v {}", to_string(q_in.shape()),
         to_string(k_in.shape()), to_string(v_in.shape()));
  detail::check_same_dtype(q_in, k_in, "causal_attention");
  detail::check_same_dtype(q_in, v_in, "causal_attention");
  const Tensor q = detail::contiguous_data(q_in), k = detail::contiguous_data(k_in), v = detail::contiguous_data(v_in);
  const std::int64_t T = q.shape()[q.dim() - 2], D = q.shape().back(), BH = T * D == 0 ? 0 : q.numel() / (T * D);
  const double scale = options.scale != 0 ? options.scale : 1.0 / std::sqrt(static_cast<double>(D));
  Shape probs_shape(q.shape().begin(), q.shape().end() - 1);
  probs_shape.push_back(T);

  Tensor probs = Tensor::empty(probs_shape, q.dtype());  // (BH, T, T); row i holds keys 0..i
  Tensor out = Tensor::empty(q.shape(), q.dtype());
  if (BH > 0) {
    kernels::gemm(q.dtype(), view(q, BH, T, D), view(k, BH, T, D, true), probs.raw_data());
    dispatch_float(q.dtype(), "causal_attention", [&]<class S>() {
      S* p = probs.data<S>();
      detail::for_rows(BH * T, T, [&](std::int64_t r) {
        const std::int64_t i = r % T;
        S* row = p + r * T;
        S m = row[0];
        for (std::int64_t j = 0; j <= i; ++j) m = std::max(m, row[j]);
        S sum = 0;
        for (std::int64_t j = 0; j <= i; ++j) sum += (row[j] = std::exp((row[j] - m) * static_cast<S>(scale)));
        const S inv = S(1) / sum;
        for (std::int64_t j = 0; j <= i; ++j) row[j] *= inv;
        for (std::int64_t j = i + 1; j < T; ++j) row[j] = 0;
      });
    });
    kernels::gemm(q.dtype(), view(probs, BH, T, T), view(v, BH, T, D), out.raw_data());
  }

  AttentionResult result;
  if (options.return_probs) result.probs = probs.detach();
  result.out = record(out, "causal_attention", {q_in, k_in, v_in},
                      [q, k, v, probs, BH, T, D, scale](const Tensor& g, const std::vector<bool>& needs) {
                        const DType dt = q.dtype();
                        Tensor gq, gk, gv;
                        if (needs[2]) {  // dV = P^T dO
                          gv = Tensor::empty(v.shape(), dt);
                          kernels::gemm(dt, view(probs, BH, T, T, true), view(g, BH, T, D), gv.raw_data());
                        }
                        // dS = P * (dP - rowsum(dP * P)) * scale, with dP = dO V^T; masked entries have P = 0.
                        Tensor ds = Tensor::empty(probs.shape(), dt);
                        kernels::gemm(dt, view(g, BH, T, D), view(v, BH, T, D, true), ds.raw_data());
                        dispatch_float(dt, "causal_attention backward", [&]<class S>() {
                          const S* p = probs.data<S>();
                          S* d = ds.data<S>();
                          detail::for_rows(BH * T, T, [&](std::int64_t r) {
                            const std::int64_t i = r % T;
                            const S* pr = p + r * T;
                            S* dr = d + r * T;
                            S dot = 0;
                            for (std::int64_t j = 0; j <= i; ++j) dot += dr[j] * pr[j];
                            for (std::int64_t j = 0; j <= i; ++j) dr[j] = pr[j] * (dr[j] - dot) * static_cast<S>(scale);
                            for (std::int64_t j = i + 1; j < T; ++j) dr[j] = 0;
                          });
                        });
                        if (needs[0]) {  // dQ = dS K
                          gq = Tensor::empty(q.shape(), dt);
                          kernels::gemm(dt, view(ds, BH, T, T), view(k, BH, T, D), gq.raw_data());
                        }
                        if (needs[1]) {  // dK = dS^T Q
                          gk = Tensor::empty(k.shape(), dt);
                          kernels::gemm(dt, view(ds, BH, T, T, true), view(q, BH, T, D), gk.raw_data());
                        }
                        return std::vector<Tensor>{gq, gk, gv};
                      });
  return result;
}

}  // namespace sinklab::ops
