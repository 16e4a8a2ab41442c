#include "ops/linear_cross_entropy.h"

#include <omp.h>

#include <algorithm>

#include "engine/autograd.h"
#include "engine/parallel.h"
#include "kernels/gemm.h"
#include "kernels/vector_math.h"
#include "ops/elementwise.h"
#include "ops/map.h"
#include "ops/targets.h"

namespace sinklab::ops {
namespace {

// Rows of logits made at a time by one thread: 128 x 4096 floats are 2 MiB, about one core's L2.
// (64 to 512 rows measured within noise of each other on bench/tiny.yaml.)
constexpr std::int64_t block_rows = 128;

struct Sizes {
  std::int64_t C, V, count;
};

// One block of rows [r0, r1): the logits into `logits`, each row's loss into row_loss, and, with
// gradients, (softmax - onehot) * scale in place of the logits, then the block's share of dx
// (written) and of dW (written, or added into gw with accumulate).
template <class T>
void run_block(const T* x, const T* w, const std::int32_t* targets, std::int32_t ignore_index, const Sizes& s,
               std::int64_t r0, std::int64_t r1, T* logits, double* row_loss, T* gx, T* gw, bool accumulate) {
  const std::int64_t n = r1 - r0, C = s.C, V = s.V;
  const DType dt = dtype_of<T>();
  const kernels::MatrixView xs{x + r0 * C, 1, n, C, 0, C, 1};
  kernels::gemm_on_this_thread(dt, xs, {w, 1, C, V, 0, 1, C}, logits);  // x · Wᵀ
  const bool with_grad = gx != nullptr || gw != nullptr;
  const T scale = s.count == 0 ? T(0) : static_cast<T>(1.0 / static_cast<double>(s.count));
  for (std::int64_t i = 0; i < n; ++i) {
    T* row = logits + i * V;
    const std::int32_t t = targets[r0 + i];
    if (!with_grad) {
      if (t != ignore_index) row_loss[r0 + i] = static_cast<double>(kernels::log_sum_exp(row, kernels::max_of(row, V), V) - row[t]);
      continue;
    }
    if (t == ignore_index) {
      std::fill_n(row, V, T(0));
      continue;
    }
    const T target_logit = row[t];
    row_loss[r0 + i] = static_cast<double>(kernels::softmax_row(row, row, V, T(1), scale) - target_logit);
    row[t] -= scale;
  }
  if (!with_grad) return;
  const kernels::MatrixView d{logits, 1, n, V, 0, V, 1};
  if (gx != nullptr) kernels::gemm_on_this_thread(dt, d, {w, 1, V, C, 0, C, 1}, gx + r0 * C);    // D · W
  if (gw != nullptr) kernels::gemm_on_this_thread(dt, {logits, 1, V, n, 0, 1, V}, xs, gw, accumulate);  // Dᵀ · x
}

}  // namespace

Tensor linear_cross_entropy(const Tensor& x_in, const Tensor& weight_in, const Tensor& targets_in, std::int32_t ignore_index) {
  if (x_in.dim() < 1 || weight_in.dim() != 2 || x_in.shape().back() != weight_in.shape()[1])
    fail("linear_cross_entropy: input {} does not match weight {} (want input (..., C), weight (V, C))",
         to_string(x_in.shape()), to_string(weight_in.shape()));
  detail::check_same_dtype(x_in, weight_in, "linear_cross_entropy");
  if (targets_in.dtype() != DType::i32)
    fail("linear_cross_entropy: targets must be i32, got {}", dtype_name(targets_in.dtype()));
  const Shape lead(x_in.shape().begin(), x_in.shape().end() - 1);
  if (targets_in.shape() != lead)
    fail("linear_cross_entropy: targets {} do not match input {}", to_string(targets_in.shape()), to_string(x_in.shape()));
  const Tensor x = detail::contiguous_data(x_in), w = detail::contiguous_data(weight_in), targets = detail::contiguous_data(targets_in);
  const std::int64_t V = w.shape()[0], C = w.shape()[1], rows = targets.numel();
  if (C == 0 || V == 0) fail("linear_cross_entropy: weight {} is empty", to_string(w.shape()));
  const std::int32_t* pt = targets.data<std::int32_t>();
  const std::int64_t count = detail::count_targets(targets, V, ignore_index, "linear_cross_entropy");
  const bool want_gx = grad_enabled() && x_in.requires_grad(), want_gw = grad_enabled() && weight_in.requires_grad();
  const Sizes sizes{C, V, count};
  // The rows are split into `parts` contiguous runs of blocks, one per thread, each with its own
  // logits block and dW sum. Parts are capped so that their dW sums take no more memory than the
  // (rows, V) logits they replace.
  const std::int64_t blocks = (rows + block_rows - 1) / block_rows;
  const std::int64_t parts = parallel_worthwhile(rows * V * C) ? std::min<std::int64_t>({omp_get_max_threads(), blocks, std::max<std::int64_t>(1, rows / C)}) : 1;
  Tensor gx = want_gx ? Tensor::empty(x.shape(), x.dtype()) : Tensor();
  std::vector<Tensor> gw_parts, logits;
  for (std::int64_t p = 0; p < parts; ++p) {
    logits.push_back(Tensor::empty({block_rows, V}, x.dtype()));
    if (want_gw) gw_parts.push_back(Tensor::empty({V, C}, x.dtype()));
  }
  std::vector<double> row_loss(static_cast<std::size_t>(rows), 0.0);
  dispatch_float(x.dtype(), "linear_cross_entropy", [&]<class T>() {
    const T *px = x.data<T>(), *pw = w.data<T>();
    T* pgx = want_gx ? gx.data<T>() : nullptr;
    parallel_for(parts, static_cast<int>(parts), [&](std::int64_t p, int) {
      T* buffer = logits[static_cast<std::size_t>(p)].data<T>();
      T* gw = want_gw ? gw_parts[static_cast<std::size_t>(p)].data<T>() : nullptr;
      const std::int64_t first = blocks * p / parts, last = blocks * (p + 1) / parts;
      for (std::int64_t b = first; b < last; ++b)
        run_block<T>(px, pw, pt, ignore_index, sizes, b * block_rows, std::min(rows, (b + 1) * block_rows), buffer,
                     row_loss.data(), pgx, gw, b > first);
    });
  });
  Tensor gw;
  if (want_gw && blocks == 0) gw = Tensor::zeros({V, C}, x.dtype());  // no rows: no part wrote its sum
  else if (want_gw) {
    gw = gw_parts[0];
    for (std::size_t p = 1; p < gw_parts.size(); ++p) add_into(gw, gw_parts[p]);  // in part order: reproducible at a thread count
  }
  double total = 0;  // summed in row order
  for (double v : row_loss) total += v;
  const Tensor loss = Tensor::scalar(count == 0 ? 0.0 : total / static_cast<double>(count), x.dtype());
  return record(loss, "linear_cross_entropy", {x_in, weight_in, targets_in}, [gx, gw](const Tensor& g, const std::vector<bool>&) {
    const double gv = g.item();
    const auto scaled = [gv](const Tensor& t) { return !t.defined() || gv == 1.0 ? t : mul(t, gv); };
    return std::vector<Tensor>{scaled(gx), scaled(gw), Tensor()};
  });
}

}  // namespace sinklab::ops
