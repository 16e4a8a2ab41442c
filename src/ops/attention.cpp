#include "ops/attention.h"

#include <omp.h>

#include <cmath>
#include <functional>
#include <tuple>

#include "engine/autograd.h"
#include "engine/parallel.h"
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

// Where matrix i of a (..., H, T, D) result goes in a (..., T, H, D) buffer.
struct HeadsOut {
  void* data;
  std::int64_t H, head_stride, row_stride, outer_stride;
};

// A new (..., T, H, D) buffer seen as (..., H, T, D), and its layout.
std::pair<Tensor, HeadsOut> heads_output(const Shape& shape, DType dtype) {
  const std::size_t r = shape.size();
  const std::int64_t H = shape[r - 3], T = shape[r - 2], D = shape[r - 1];
  Shape buffer_shape = shape;
  std::swap(buffer_shape[r - 3], buffer_shape[r - 2]);
  const Tensor buffer = Tensor::empty(buffer_shape, dtype);
  Shape strides = buffer.strides();
  std::swap(strides[r - 3], strides[r - 2]);
  return {buffer.as_strided(shape, strides, 0), HeadsOut{buffer.raw_data(), H, D, H * D, T * H * D}};
}

struct Shape4 {
  std::int64_t BH, H, T, D;
};

// Queries are taken in blocks of this many rows: a block's strip of scores stays in cache from
// the product through the row pass to the weighted sum, and skips the keys after its last query.
constexpr std::int64_t query_block = 64;

// Rows [first, first + n) of a matrix with unit-stride rows `ld` apart, `cols` wide, or their
// transpose.
template <class S>
kernels::MatrixView rows_of(const S* m, std::int64_t ld, std::int64_t first, std::int64_t n, std::int64_t cols) {
  return {m + first * ld, 1, n, cols, 0, ld, 1};
}
template <class S>
kernels::MatrixView rows_of_transposed(const S* m, std::int64_t ld, std::int64_t first, std::int64_t n, std::int64_t cols) {
  return {m + first * ld, 1, cols, n, 0, 1, ld};
}

// Matrix i of a Heads batch, and of an output laid out by heads_output.
template <class S>
const S* matrix(const Heads& h, std::int64_t i) {
  return static_cast<const S*>(h.data.raw_data()) + (i / h.H) * h.outer_stride + (i % h.H) * h.head_stride;
}
template <class S>
S* matrix(const HeadsOut& o, std::int64_t i) {
  return static_cast<S*>(o.data) + (i / o.H) * o.outer_stride + (i % o.H) * o.head_stride;
}

// body(i, thread) for each of the `count` (sequence, head) pairs, split over threads. One sequence
// of few heads (sampling) keeps only that many threads busy.
template <class Body>
void for_each_pair(std::int64_t count, std::int64_t work, Body&& body) {
  parallel_for(count, parallel_worthwhile(work) ? omp_get_max_threads() : 1, body);
}

// The keys [first, last] query i sees: 0..i, without key 0 (KeyMask::no_first) or without i
// itself (no_self) from the second query on; query 0 always keeps its one key.
struct KeyRange {
  std::int64_t first, last;
  std::int64_t count() const { return last - first + 1; }
};
KeyRange keys_of(std::int64_t i, KeyMask mask) {
  return {mask == KeyMask::no_first && i > 0 ? 1 : 0, mask == KeyMask::no_self && i > 0 ? i - 1 : i};
}

// Zeroes the entries of a T-wide row outside the keys.
template <class S>
void zero_outside(S* row, KeyRange k, std::int64_t T) {
  for (std::int64_t j = 0; j < k.first; ++j) row[j] = 0;
  for (std::int64_t j = k.last + 1; j < T; ++j) row[j] = 0;
}

// Turns row r (query i of head h) of raw scores q.k into attention weights, in place; zeroes the
// keys it does not see. `extra` receives the sigmoid row sum (sigmoid) or nothing.
template <class S>
void normalize_row(S* row, S* extra, const S* sink, std::int64_t i, std::int64_t h, std::int64_t T, const AttentionOptions& o,
                   double scale) {
  const auto sc = static_cast<S>(scale);
  const KeyRange k = keys_of(i, o.mask);
  S* seen = row + k.first;
  const std::int64_t n = k.count();
  if (o.kind == AttentionKind::sigmoid) {
    S sum = 0;
    for (std::int64_t j = 0; j < n; ++j) sum += (seen[j] = S(1) / (S(1) + std::exp(-(seen[j] * sc + static_cast<S>(o.sigmoid_bias)))));
    *extra = sum;
    if (o.normalize)
      for (std::int64_t j = 0; j < n; ++j) seen[j] /= sum;
  } else if (!sink) {
    kernels::softmax_row(seen, seen, n, sc, S(1));
  } else {
    for (std::int64_t j = 0; j < n; ++j) seen[j] *= sc;
    const S m = std::max(kernels::max_of(seen, n), sink[h]);
    const S sum = std::exp(sink[h] - m) + kernels::exp_shifted(seen, m, seen, n);
    const S inv = S(1) / sum;
    for (std::int64_t j = 0; j < n; ++j) seen[j] *= inv;
  }
  zero_outside(row, k, T);
}

// Given dP for row r (query i) in place in d, writes d(loss)/d(q.k) and zeroes the keys it does
// not see; returns the row's d(loss)/d(b_h) when there is a sink.
template <class S>
S score_gradient_row(const S* p_row, const S* extra, S* d_row, std::int64_t i, std::int64_t T, const AttentionOptions& o,
                     double scale) {
  const auto sc = static_cast<S>(scale);
  const KeyRange k = keys_of(i, o.mask);
  const S* p = p_row + k.first;
  S* d = d_row + k.first;
  const std::int64_t n = k.count();
  S sink_grad = 0;
  if (o.kind == AttentionKind::sigmoid) {
    const S sum = *extra;
    S dot = 0;
    if (o.normalize)
      for (std::int64_t j = 0; j < n; ++j) dot += d[j] * p[j];
    for (std::int64_t j = 0; j < n; ++j) {
      const S a = o.normalize ? p[j] * sum : p[j];  // the sigmoid itself
      const S da = o.normalize ? (d[j] - dot) / sum : d[j];
      d[j] = da * a * (S(1) - a) * sc;
    }
  } else {
    const auto [dot, mass] = kernels::softmax_row_backward(p, d, sc, n);
    sink_grad = -(S(1) - mass) * dot;  // the sink column has weight 1 - mass and no value, so its dP is 0
  }
  zero_outside(d_row, k, T);
  return sink_grad;
}

// Forward of pair i: P = normalize(Q Kᵀ), O = P V, one block of queries at a time.
template <class S>
void forward_pair(std::int64_t i, const Heads& q, const Heads& k, const Heads& v, S* probs, S* extra, const S* sink,
                  const HeadsOut& out, const Shape4& s, const AttentionOptions& o, double scale) {
  const DType dt = dtype_of<S>();
  const std::int64_t T = s.T, D = s.D;
  const S *qi = matrix<S>(q, i), *ki = matrix<S>(k, i), *vi = matrix<S>(v, i);
  S* p = probs + i * T * T;
  S* oi = matrix<S>(out, i);
  for (std::int64_t r0 = 0; r0 < T; r0 += query_block) {
    const std::int64_t n = std::min(query_block, T - r0), keys = r0 + n;
    kernels::gemm_on_this_thread(dt, rows_of(qi, q.row_stride, r0, n, D), rows_of_transposed(ki, k.row_stride, 0, keys, D),
                                 p + r0 * T, false, T);
    for (std::int64_t r = r0; r < r0 + n; ++r) normalize_row(p + r * T, extra + i * T + r, sink, r, i % s.H, T, o, scale);
    kernels::gemm_on_this_thread(dt, rows_of(p, T, r0, n, keys), rows_of(vi, v.row_stride, 0, keys, D),
                                 oi + r0 * out.row_stride, false, out.row_stride);
  }
}

struct Grads {
  HeadsOut q, k, v;
  bool want_q, want_k, want_v;
};

// Backward of pair i, with dS (T x T) in scratch. Row sink gradients go to sink_rows.
template <class S>
void backward_pair(std::int64_t i, const Heads& q, const Heads& k, const Heads& v, const Heads& g, const S* probs, const S* extra,
                   S* ds, S* sink_rows, const Grads& grads, const Shape4& s, const AttentionOptions& o, double scale) {
  const DType dt = dtype_of<S>();
  const std::int64_t T = s.T, D = s.D;
  const S *qi = matrix<S>(q, i), *ki = matrix<S>(k, i), *vi = matrix<S>(v, i), *gi = matrix<S>(g, i);
  const S* p = probs + i * T * T;
  for (std::int64_t r0 = 0; r0 < T; r0 += query_block) {  // dP = dO Vᵀ, then d(q.k) in place
    const std::int64_t n = std::min(query_block, T - r0), keys = r0 + n;
    kernels::gemm_on_this_thread(dt, rows_of(gi, g.row_stride, r0, n, D), rows_of_transposed(vi, v.row_stride, 0, keys, D),
                                 ds + r0 * T, false, T);
    for (std::int64_t r = r0; r < r0 + n; ++r) {
      const S sink_grad = score_gradient_row(p + r * T, extra + i * T + r, ds + r * T, r, T, o, scale);
      if (sink_rows) sink_rows[i * T + r] = sink_grad;
    }
  }
  for (std::int64_t b0 = 0; b0 < T; b0 += query_block) {
    const std::int64_t n = std::min(query_block, T - b0), later = T - b0;
    if (grads.want_q) {  // dQ = dS K over the keys up to the block's last query
      S* gq = matrix<S>(grads.q, i);
      kernels::gemm_on_this_thread(dt, rows_of(ds, T, b0, n, b0 + n), rows_of(ki, k.row_stride, 0, b0 + n, D),
                                   gq + b0 * grads.q.row_stride, false, grads.q.row_stride);
    }
    // Keys b0.. are seen by queries b0.. only: dK = dSᵀ Q and dV = Pᵀ dO over those rows.
    if (grads.want_k) {
      S* gk = matrix<S>(grads.k, i);
      kernels::gemm_on_this_thread(dt, {ds + b0 * T + b0, 1, n, later, 0, 1, T}, rows_of(qi, q.row_stride, b0, later, D),
                                   gk + b0 * grads.k.row_stride, false, grads.k.row_stride);
    }
    if (grads.want_v) {
      S* gv = matrix<S>(grads.v, i);
      kernels::gemm_on_this_thread(dt, {p + b0 * T + b0, 1, n, later, 0, 1, T}, rows_of(gi, g.row_stride, b0, later, D),
                                   gv + b0 * grads.v.row_stride, false, grads.v.row_stride);
    }
  }
}

// Where the backward puts d/dq, d/dk, d/dv (given which inputs need gradients), and the tensors it
// returns for them.
struct GradTargets {
  Grads grads{};
  std::vector<Tensor> tensors;
};
using MakeGradTargets = std::function<GradTargets(const std::vector<bool>& needs)>;

// The op on q, k, v read as Heads; inputs are what the autograd node records (q, k, v or the
// packed qkv, then the sink), and make_grads lays out their gradients.
AttentionResult attend(const char* name, const Heads& q, const Heads& k, const Heads& v, const Shape& shape, DType dtype,
                       const AttentionOptions& options, const Tensor& sink_in, std::vector<Tensor> inputs,
                       MakeGradTargets make_grads) {
  const std::int64_t T = q.T, D = q.D, H = q.H;
  const Shape4 s{q.batch, H, T, D};
  if (sink_in.defined()) {
    if (options.kind != AttentionKind::softmax) fail("{}: a sink logit needs softmax attention", name);
    if (sink_in.shape() != Shape{H}) fail("{}: sink logits must be ({},), one per head; got {}", name, H, to_string(sink_in.shape()));
    if (sink_in.dtype() != dtype)
      fail("{}: dtypes differ: {} {} and sink {} {}", name, dtype_name(dtype), to_string(shape), dtype_name(sink_in.dtype()),
           to_string(sink_in.shape()));
  }
  const Tensor sink = sink_in.defined() ? detail::contiguous_data(sink_in) : Tensor();
  const double scale = options.scale != 0 ? options.scale : 1.0 / std::sqrt(static_cast<double>(D));
  Shape probs_shape(shape.begin(), shape.end() - 1);
  probs_shape.push_back(T);

  Tensor probs = Tensor::empty(probs_shape, dtype);  // (BH, T, T); row i holds the keys query i sees
  Tensor extra = Tensor::empty({s.BH * T}, dtype);
  auto [out, out_view] = heads_output(shape, dtype);
  dispatch_float(dtype, name, [&, &out_view = out_view]<class S>() {
    const S* sink_data = sink.defined() ? sink.data<S>() : nullptr;
    for_each_pair(s.BH, s.BH * T * T * D, [&](std::int64_t i, int) {
      forward_pair<S>(i, q, k, v, probs.data<S>(), extra.data<S>(), sink_data, out_view, s, options, scale);
    });
  });

  AttentionResult result;
  if (options.return_probs) result.probs = probs.detach();
  inputs.push_back(sink_in);
  result.out = record(out, name, inputs,
                      [name, q, k, v, probs, extra, s, scale, options, has_sink = sink.defined(), make_grads = std::move(make_grads)](
                          const Tensor& g_in, const std::vector<bool>& needs) {
                        const DType dt = probs.dtype();
                        const Heads g = heads(g_in);
                        GradTargets targets = make_grads(needs);
                        Tensor sink_rows = has_sink ? Tensor::empty({s.BH * s.T}, dt) : Tensor();
                        // Each thread's dS; with static scheduling only the first BH threads get pairs.
                        const std::int64_t slots = std::min<std::int64_t>(s.BH, omp_get_max_threads());
                        Tensor scratch = Tensor::empty({slots, s.T, s.T}, dt);
                        Tensor gsink;
                        dispatch_float(dt, name, [&]<class S>() {
                          S* sink_row_data = has_sink ? sink_rows.data<S>() : nullptr;
                          for_each_pair(s.BH, s.BH * s.T * s.T * s.D, [&](std::int64_t i, int thread) {
                            S* ds = scratch.data<S>() + thread * s.T * s.T;
                            backward_pair<S>(i, q, k, v, g, probs.data<S>(), extra.data<S>(), ds, sink_row_data, targets.grads, s,
                                             options, scale);
                          });
                          if (has_sink) {  // summed in row order: reproducible
                            gsink = Tensor::zeros({s.H}, dt);
                            for (std::int64_t r = 0; r < s.BH * s.T; ++r) gsink.data<S>()[(r / s.T) % s.H] += sink_row_data[r];
                          }
                        });
                        targets.tensors.push_back(gsink);
                        return targets.tensors;
                      });
  take_strided_grad(result.out);  // read through strides: a permuted gradient needs no copy
  return result;
}

}  // namespace

AttentionResult causal_attention(const Tensor& q_in, const Tensor& k_in, const Tensor& v_in, const AttentionOptions& options,
                                 const Tensor& sink_in) {
  if (q_in.dim() < 3 || q_in.shape() != k_in.shape() || q_in.shape() != v_in.shape())
    fail("causal_attention: q, k, v must share one shape (..., H, T, d_head); got q {}, k {}, v {}", to_string(q_in.shape()),
         to_string(k_in.shape()), to_string(v_in.shape()));
  detail::check_same_dtype(q_in, k_in, "causal_attention");
  detail::check_same_dtype(q_in, v_in, "causal_attention");
  if (q_in.shape().back() == 0) fail("causal_attention: d_head must be > 0; got q {}", to_string(q_in.shape()));
  const Shape shape = q_in.shape();
  return attend("causal_attention", heads(q_in), heads(k_in), heads(v_in), shape, q_in.dtype(), options, sink_in, {q_in, k_in, v_in},
                [shape, dtype = q_in.dtype()](const std::vector<bool>& needs) {
                  GradTargets t;
                  Tensor g[3];
                  HeadsOut* views[3] = {&t.grads.q, &t.grads.k, &t.grads.v};
                  bool* wants[3] = {&t.grads.want_q, &t.grads.want_k, &t.grads.want_v};
                  for (std::size_t n = 0; n < 3; ++n)
                    if (needs[n]) {
                      std::tie(g[n], *views[n]) = heads_output(shape, dtype);
                      *wants[n] = true;
                    }
                  t.tensors = {g[0], g[1], g[2]};
                  return t;
                });
}

AttentionResult causal_attention_packed(const Tensor& qkv_in, const AttentionOptions& options, const Tensor& sink_in) {
  const std::size_t r = qkv_in.dim();
  if (r < 4 || qkv_in.shape()[r - 3] != 3)
    fail("causal_attention_packed: qkv must be (..., T, 3, H, d_head); got {}", to_string(qkv_in.shape()));
  if (qkv_in.shape().back() == 0) fail("causal_attention_packed: d_head must be > 0; got qkv {}", to_string(qkv_in.shape()));
  const Tensor qkv = detail::contiguous_data(qkv_in);
  const Shape& packed = qkv.shape();
  const std::int64_t T = packed[r - 4], H = packed[r - 2], D = packed[r - 1];
  // q, k, v as (..., H, T, D) views of the packed rows: rows 3HD apart, heads D apart.
  Shape shape(packed.begin(), packed.end() - 4), strides(qkv.strides().begin(), qkv.strides().end() - 4);
  shape.insert(shape.end(), {H, T, D});
  strides.insert(strides.end(), {D, 3 * H * D, 1});
  const auto part = [&](std::int64_t n) { return heads(qkv.as_strided(shape, strides, qkv.offset() + n * H * D)); };
  return attend("causal_attention_packed", part(0), part(1), part(2), shape, qkv.dtype(), options, sink_in, {qkv_in},
                [packed, H, T, D, dtype = qkv.dtype()](const std::vector<bool>& needs) {
                  GradTargets t;
                  Tensor g;
                  if (needs[0]) {
                    g = Tensor::empty(packed, dtype);
                    const auto at = [&](std::int64_t n) {
                      return HeadsOut{static_cast<char*>(g.raw_data()) + n * H * D * static_cast<std::int64_t>(dtype_size(g.dtype())), H, D,
                                      3 * H * D, T * 3 * H * D};
                    };
                    t.grads = {at(0), at(1), at(2), true, true, true};
                  }
                  t.tensors = {g};
                  return t;
                });
}

}  // namespace sinklab::ops
