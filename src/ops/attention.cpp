#include "ops/attention.h"

#include <omp.h>

#include <cmath>
#include <functional>
#include <limits>
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

// Queries are taken in blocks of query_block rows and keys in tiles of key_block: a block-by-tile
// of scores (128 KB in fp32; two in the backward) stays in cache from its product through the row pass to the next
// product. No T x T matrix is kept: the forward keeps one statistic per query row (log-sum-exp for
// softmax, the row sum for sigmoid) and the backward recomputes each tile from Q, K and it, as
// FlashAttention does (at T4096 the kept probabilities were 1 GB for a 4-layer model).
constexpr std::int64_t query_block = 64;
constexpr std::int64_t key_block = attention_key_tile;

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
};
KeyRange keys_of(std::int64_t i, KeyMask mask) {
  return {mask == KeyMask::no_first && i > 0 ? 1 : 0, mask == KeyMask::no_self && i > 0 ? i - 1 : i};
}

// The keys query i sees inside the tile of keys [c0, c0 + m), as offsets [lo, hi) into the tile's
// row (lo >= hi: none). Entries outside are zeroed, so the tile's products skip them.
struct TileKeys {
  std::int64_t lo, hi;
  bool empty() const { return lo >= hi; }
};
template <class S>
TileKeys tile_keys(S* row, std::int64_t i, std::int64_t c0, std::int64_t m, KeyMask mask) {
  const KeyRange k = keys_of(i, mask);
  TileKeys t{std::max<std::int64_t>(k.first - c0, 0), std::min<std::int64_t>(k.last + 1 - c0, m)};
  if (t.empty()) t = {m, m};
  std::fill(row, row + t.lo, S(0));
  std::fill(row + t.hi, row + m, S(0));
  return t;
}

// The sigmoid weights sigmoid(z + bias) of n scores, in place; returns their sum.
template <class S>
S sigmoid_weights(S* z, std::int64_t n, S bias) {
  for (std::int64_t j = 0; j < n; ++j) z[j] += bias;
  kernels::sigmoid(z, z, n);
  S sum = 0;
  for (std::int64_t j = 0; j < n; ++j) sum += z[j];
  return sum;
}

// Rows [r0, r0 + n) of Q times the score scale, contiguous: the tiles' scores come out scaled, and
// the backward's dK = dSᵀ (scale Q) carries the scale the chain rule puts there.
template <class S>
const S* scaled_queries(const S* q, std::int64_t ld, std::int64_t r0, std::int64_t n, std::int64_t D, S scale, S* into) {
  for (std::int64_t r = 0; r < n; ++r)
    for (std::int64_t d = 0; d < D; ++d) into[r * D + d] = q[(r0 + r) * ld + d] * scale;
  return into;
}

// The scratch one thread needs for a pair, forward and backward alike: two tiles, a block of
// scaled queries, a block of output and three numbers per row.
constexpr std::int64_t scratch_size(std::int64_t D) { return 2 * query_block * key_block + query_block * (2 * D + 3); }

// Forward of pair i, one block of queries at a time, its keys one tile at a time with a running
// maximum and sum per row (online softmax). A sink column is a key of logit b_h and no value: the
// running maximum and sum start from it. stats gets each row's log-sum-exp (softmax) or sum
// (sigmoid).
template <class S>
void forward_pair(std::int64_t i, const Heads& q, const Heads& k, const Heads& v, S* stats, const S* sink, const HeadsOut& out,
                  const Shape4& s, const AttentionOptions& o, double scale, S* work) {
  const DType dt = dtype_of<S>();
  const std::int64_t T = s.T, D = s.D;
  const auto bias = static_cast<S>(o.sigmoid_bias);
  const bool softmax = o.kind == AttentionKind::softmax;
  const S *qi = matrix<S>(q, i), *ki = matrix<S>(k, i), *vi = matrix<S>(v, i);
  S* oi = matrix<S>(out, i);
  S* tile = work;
  S* q_block = tile + 2 * query_block * key_block;
  S* acc = q_block + query_block * D;  // the block's unnormalised output
  S* run_max = acc + query_block * D;
  S* run_sum = run_max + query_block;
  for (std::int64_t r0 = 0; r0 < T; r0 += query_block) {
    const std::int64_t n = std::min(query_block, T - r0), keys = r0 + n;
    const S* qs = scaled_queries(qi, q.row_stride, r0, n, D, static_cast<S>(scale), q_block);
    std::fill(acc, acc + n * D, S(0));
    std::fill(run_max, run_max + n, sink ? sink[i % s.H] : -std::numeric_limits<S>::infinity());
    std::fill(run_sum, run_sum + n, sink ? S(1) : S(0));
    for (std::int64_t c0 = 0; c0 < keys; c0 += key_block) {
      const std::int64_t m = std::min(key_block, keys - c0);
      kernels::gemm_on_this_thread(dt, rows_of(qs, D, 0, n, D), rows_of_transposed(ki, k.row_stride, c0, m, D), tile);
      for (std::int64_t r = 0; r < n; ++r) {
        S* row = tile + r * m;
        const TileKeys t = tile_keys(row, r0 + r, c0, m, o.mask);
        if (t.empty()) continue;
        S* seen = row + t.lo;
        const std::int64_t cnt = t.hi - t.lo;
        if (!softmax) {
          run_sum[r] += sigmoid_weights(seen, cnt, bias);
          continue;
        }
        const S top = kernels::max_of(seen, cnt);
        if (top > run_max[r]) {  // rescale what the row has summed so far to the new maximum
          const S shrink = std::exp(run_max[r] - top);
          run_sum[r] *= shrink;
          for (std::int64_t d = 0; d < D; ++d) acc[r * D + d] *= shrink;
          run_max[r] = top;
        }
        run_sum[r] += kernels::exp_shifted(seen, run_max[r], seen, cnt);
      }
      kernels::gemm_on_this_thread(dt, rows_of(tile, m, 0, n, m), rows_of(vi, v.row_stride, c0, m, D), acc, true);
    }
    for (std::int64_t r = 0; r < n; ++r) {
      const S inv = softmax || o.normalize ? S(1) / run_sum[r] : S(1);
      for (std::int64_t d = 0; d < D; ++d) oi[(r0 + r) * out.row_stride + d] = acc[r * D + d] * inv;
      stats[i * T + r0 + r] = softmax ? run_max[r] + std::log(run_sum[r]) : run_sum[r];
    }
  }
}

// The attention weights of one tile row from its scaled scores, in place: exp(z - lse) (softmax)
// or the sigmoid, divided by the row sum when normalised.
template <class S>
void weights_from_scores(S* z, std::int64_t n, S stat, const AttentionOptions& o) {
  if (o.kind == AttentionKind::softmax) {
    kernels::exp_shifted(z, stat, z, n);
    return;
  }
  sigmoid_weights(z, n, static_cast<S>(o.sigmoid_bias));
  if (o.normalize)
    for (std::int64_t j = 0; j < n; ++j) z[j] /= stat;
}

// Pair i's attention weights (T x T, row r holds the keys query r sees) into p, recomputed from Q,
// K and the forward's row statistics; `work` holds one block of scaled queries.
template <class S>
void map_of_pair(std::int64_t i, const Heads& q, const Heads& k, const S* stats, S* p, const Shape4& s, const AttentionOptions& o,
                 double scale, S* work) {
  const std::int64_t T = s.T, D = s.D;
  const S *qi = matrix<S>(q, i), *ki = matrix<S>(k, i);
  for (std::int64_t r0 = 0; r0 < T; r0 += query_block) {
    const std::int64_t n = std::min(query_block, T - r0), keys = r0 + n;
    const S* qs = scaled_queries(qi, q.row_stride, r0, n, D, static_cast<S>(scale), work);
    kernels::gemm_on_this_thread(dtype_of<S>(), rows_of(qs, D, 0, n, D), rows_of_transposed(ki, k.row_stride, 0, keys, D), p + r0 * T,
                                 false, T);
    for (std::int64_t r = r0; r < r0 + n; ++r) {
      const TileKeys t = tile_keys(p + r * T, r, 0, T, o.mask);
      weights_from_scores(p + r * T + t.lo, t.hi - t.lo, stats[i * T + r], o);
    }
  }
}

// d(loss)/d(score) of one tile row's keys, in place of dP, from the sigmoid weights p: through the
// sigmoid a and, when normalised, the row sum (dot = dO . O = sum_j p_j dP_j). The softmax's is
// kernels::softmax_weights_backward (dot the same, a sink having no value). Both are unscaled: the
// scale rides on the queries (dK) and is applied to dQ once per block.
template <class S>
void sigmoid_score_gradients(const S* p, S* d, std::int64_t n, S dot, S stat, const AttentionOptions& o) {
  if (o.normalize) {
    const S inv = S(1) / stat;
    for (std::int64_t j = 0; j < n; ++j) {
      const S a = p[j] * stat;
      d[j] = (d[j] - dot) * inv * a * (S(1) - a);
    }
  } else {
    for (std::int64_t j = 0; j < n; ++j) d[j] *= p[j] * (S(1) - p[j]);
  }
}

struct Grads {
  HeadsOut q, k, v;
  bool want_q, want_k, want_v;
};

// Backward of pair i, tile by tile as the forward: P recomputed from the row statistics, dP = dO Vᵀ,
// dS from both; then dQ += dS K, dK += dSᵀ Q and dV += Pᵀ dO over the tile. Row sink gradients go to
// sink_rows.
template <class S>
void backward_pair(std::int64_t i, const Heads& q, const Heads& k, const Heads& v, const Heads& out, const Heads& g, const S* stats,
                   const S* sink, S* sink_rows, const Grads& grads, const Shape4& s, const AttentionOptions& o, double scale, S* work) {
  const DType dt = dtype_of<S>();
  const std::int64_t T = s.T, D = s.D;
  const auto sc = static_cast<S>(scale);
  const S *qi = matrix<S>(q, i), *ki = matrix<S>(k, i), *vi = matrix<S>(v, i), *gi = matrix<S>(g, i), *oi = matrix<S>(out, i);
  S* gq = grads.want_q ? matrix<S>(grads.q, i) : nullptr;
  S* gk = grads.want_k ? matrix<S>(grads.k, i) : nullptr;
  S* gv = grads.want_v ? matrix<S>(grads.v, i) : nullptr;
  for (std::int64_t r = 0; r < T; ++r) {  // dK and dV gather over query blocks
    if (gk) std::fill_n(gk + r * grads.k.row_stride, D, S(0));
    if (gv) std::fill_n(gv + r * grads.v.row_stride, D, S(0));
  }
  S* p_tile = work;
  S* d_tile = p_tile + query_block * key_block;
  S* q_block = d_tile + query_block * key_block;
  S* row_dot = q_block + query_block * D;
  for (std::int64_t r0 = 0; r0 < T; r0 += query_block) {
    const std::int64_t n = std::min(query_block, T - r0), keys = r0 + n;
    const S* qs = scaled_queries(qi, q.row_stride, r0, n, D, sc, q_block);
    for (std::int64_t r = 0; r < n; ++r) {
      const S *go = gi + (r0 + r) * g.row_stride, *oo = oi + (r0 + r) * out.row_stride;
      S dot = 0;
      for (std::int64_t d = 0; d < D; ++d) dot += go[d] * oo[d];
      row_dot[r] = dot;
      if (sink_rows) sink_rows[i * T + r0 + r] = -std::exp(sink[i % s.H] - stats[i * T + r0 + r]) * dot;
    }
    for (std::int64_t c0 = 0; c0 < keys; c0 += key_block) {
      const std::int64_t m = std::min(key_block, keys - c0);
      kernels::gemm_on_this_thread(dt, rows_of(qs, D, 0, n, D), rows_of_transposed(ki, k.row_stride, c0, m, D), p_tile);
      kernels::gemm_on_this_thread(dt, rows_of(gi, g.row_stride, r0, n, D), rows_of_transposed(vi, v.row_stride, c0, m, D), d_tile);
      for (std::int64_t r = 0; r < n; ++r) {
        S *p = p_tile + r * m, *d = d_tile + r * m;
        const TileKeys t = tile_keys(p, r0 + r, c0, m, o.mask);
        tile_keys(d, r0 + r, c0, m, o.mask);
        const S stat = stats[i * T + r0 + r];
        if (o.kind == AttentionKind::softmax) {
          kernels::softmax_weights_backward(p + t.lo, d + t.lo, stat, row_dot[r], t.hi - t.lo);
        } else {
          weights_from_scores(p + t.lo, t.hi - t.lo, stat, o);
          sigmoid_score_gradients(p + t.lo, d + t.lo, t.hi - t.lo, row_dot[r], stat, o);
        }
      }
      if (gq)
        kernels::gemm_on_this_thread(dt, rows_of(d_tile, m, 0, n, m), rows_of(ki, k.row_stride, c0, m, D), gq + r0 * grads.q.row_stride,
                                     c0 > 0, grads.q.row_stride);
      if (gk)
        kernels::gemm_on_this_thread(dt, {d_tile, 1, m, n, 0, 1, m}, rows_of(qs, D, 0, n, D), gk + c0 * grads.k.row_stride, true,
                                     grads.k.row_stride);
      if (gv)
        kernels::gemm_on_this_thread(dt, {p_tile, 1, m, n, 0, 1, m}, rows_of(gi, g.row_stride, r0, n, D), gv + c0 * grads.v.row_stride,
                                     true, grads.v.row_stride);
    }
    if (gq)
      for (std::int64_t r = 0; r < n; ++r)
        for (std::int64_t d = 0; d < D; ++d) gq[(r0 + r) * grads.q.row_stride + d] *= sc;
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
  // Each thread's tiles; with static scheduling only the first BH threads get pairs.
  const auto scratch = [s](DType dt) {
    return Tensor::empty({std::min<std::int64_t>(s.BH, omp_get_max_threads()), scratch_size(s.D)}, dt);
  };
  const std::int64_t work = s.BH * s.T * s.T * s.D;

  Tensor stats = Tensor::empty({s.BH * T}, dtype);  // per query row: log-sum-exp (softmax) or sum (sigmoid)
  auto [out, out_view] = heads_output(shape, dtype);
  AttentionResult result;
  dispatch_float(dtype, name, [&, &out_view = out_view]<class S>() {
    const S* sink_data = sink.defined() ? sink.data<S>() : nullptr;
    const Tensor tiles = scratch(dtype);
    for_each_pair(s.BH, work, [&](std::int64_t i, int thread) {
      forward_pair<S>(i, q, k, v, stats.data<S>(), sink_data, out_view, s, options, scale, tiles.data<S>() + thread * scratch_size(s.D));
    });
  });
  if (options.return_maps) result.maps = AttentionMaps(std::make_shared<const AttentionMaps::State>(q, k, stats, s, options, scale, shape));

  inputs.push_back(sink_in);
  result.out = record(out, name, inputs,
                      [name, q, k, v, o = heads(out.detach()), stats, sink, s, scale, options, scratch, work,
                       make_grads = std::move(make_grads)](const Tensor& g_in, const std::vector<bool>& needs) {
                        const DType dt = stats.dtype();
                        const Heads g = heads(g_in);
                        GradTargets targets = make_grads(needs);
                        const bool has_sink = sink.defined();
                        Tensor sink_rows = has_sink ? Tensor::empty({s.BH * s.T}, dt) : Tensor();
                        const Tensor tiles = scratch(dt);
                        Tensor gsink;
                        dispatch_float(dt, name, [&]<class S>() {
                          S* sink_row_data = has_sink ? sink_rows.data<S>() : nullptr;
                          for_each_pair(s.BH, work, [&](std::int64_t i, int thread) {
                            backward_pair<S>(i, q, k, v, o, g, stats.data<S>(), has_sink ? sink.data<S>() : nullptr, sink_row_data,
                                             targets.grads, s, options, scale, tiles.data<S>() + thread * scratch_size(s.D));
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

struct AttentionMaps::State {
  State(Heads q, Heads k, Tensor stats, Shape4 s, AttentionOptions o, double scale, Shape shape)
      : q(std::move(q)), k(std::move(k)), stats(std::move(stats)), s(s), o(o), scale(scale), shape(std::move(shape)) {}
  Heads q, k;
  Tensor stats;
  Shape4 s;
  AttentionOptions o;
  double scale;
  Shape shape;  // of q
};

std::int64_t AttentionMaps::pairs() const { return state_->s.BH; }

std::int64_t AttentionMaps::positions() const { return state_->s.T; }

template <class S>
void AttentionMaps::fill(std::int64_t pair, S* into) const {
  const State& st = *state_;
  if (st.stats.dtype() != dtype_of<S>())
    fail("AttentionMaps::fill: the maps are {}, asked for {}", dtype_name(st.stats.dtype()), dtype_name(dtype_of<S>()));
  if (pair < 0 || pair >= st.s.BH) fail("AttentionMaps::fill: pair {} of {}", pair, st.s.BH);
  std::vector<S> work(static_cast<std::size_t>(query_block * st.s.D));
  map_of_pair<S>(pair, st.q, st.k, st.stats.data<S>(), into, st.s, st.o, st.scale, work.data());
}
template void AttentionMaps::fill<float>(std::int64_t, float*) const;
template void AttentionMaps::fill<double>(std::int64_t, double*) const;

Tensor AttentionMaps::all() const {
  const State& st = *state_;
  Shape shape(st.shape.begin(), st.shape.end() - 1);
  shape.push_back(st.s.T);
  Tensor maps = Tensor::empty(shape, st.stats.dtype());
  dispatch_float(maps.dtype(), "AttentionMaps::all", [&]<class S>() {
    for_each_pair(st.s.BH, st.s.BH * st.s.T * st.s.T * st.s.D,
                  [&](std::int64_t i, int) { fill<S>(i, maps.data<S>() + i * st.s.T * st.s.T); });
  });
  return maps;
}

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
