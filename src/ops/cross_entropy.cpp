#include "ops/cross_entropy.h"

#include <cmath>

#include "engine/autograd.h"
#include "kernels/vector_math.h"
#include "ops/map.h"

namespace sinklab::ops {

Tensor cross_entropy(const Tensor& logits_in, const Tensor& targets_in, std::int32_t ignore_index) {
  if (logits_in.dim() < 1) fail("cross_entropy: logits need a class axis, got a scalar");
  if (targets_in.dtype() != DType::i32) fail("cross_entropy: targets must be i32, got {}", dtype_name(targets_in.dtype()));
  const Shape lead(logits_in.shape().begin(), logits_in.shape().end() - 1);
  if (targets_in.shape() != lead)
    fail("cross_entropy: targets {} do not match logits {}", to_string(targets_in.shape()), to_string(logits_in.shape()));
  const Tensor logits = detail::contiguous_data(logits_in), targets = detail::contiguous_data(targets_in);
  const std::int64_t V = logits.shape().back(), N = targets.numel();
  const std::int32_t* pt = targets.data<std::int32_t>();
  std::int64_t count = 0;
  for (std::int64_t i = 0; i < N; ++i) {
    if (pt[i] == ignore_index) continue;
    if (pt[i] < 0 || pt[i] >= V) fail("cross_entropy: target {} at position {} is outside [0, {})", pt[i], i, V);
    ++count;
  }
  Tensor lse = Tensor::empty({N}, logits.dtype());  // log-sum-exp per row, saved for the backward
  Tensor loss = dispatch_float(logits.dtype(), "cross_entropy", [&]<class T>() {
    const T* pl = logits.data<T>();
    T* plse = lse.data<T>();
    std::vector<double> row_loss(N, 0.0);
    detail::for_rows(N, V, [&](std::int64_t r) {
      const T* x = pl + r * V;
      plse[r] = kernels::log_sum_exp(x, kernels::max_of(x, V), V);
      if (pt[r] != ignore_index) row_loss[r] = static_cast<double>(plse[r] - x[pt[r]]);
    });
    double total = 0;  // summed in row order: reproducible whatever the thread count
    for (double v : row_loss) total += v;
    return Tensor::scalar(count == 0 ? 0.0 : total / static_cast<double>(count), logits.dtype());
  });
  return record(loss, "cross_entropy", {logits_in, targets_in},
                [logits, targets, lse, V, N, count, ignore_index](const Tensor& g, const std::vector<bool>&) {
                  Tensor gl = Tensor::empty(logits.shape(), logits.dtype());
                  dispatch_float(logits.dtype(), "cross_entropy backward", [&]<class T>() {
                    const T *pl = logits.data<T>(), *plse = lse.data<T>();
                    const std::int32_t* pt = targets.data<std::int32_t>();
                    T* pg = gl.data<T>();
                    const T scale = count == 0 ? T(0) : static_cast<T>(g.item() / static_cast<double>(count));
                    detail::for_rows(N, V, [&](std::int64_t r) {
                      T* gr = pg + r * V;
                      if (pt[r] == ignore_index) {
                        std::fill_n(gr, V, T(0));
                        return;
                      }
                      const T* x = pl + r * V;
                      kernels::scaled_exp(x, plse[r], scale, gr, V);
                      gr[pt[r]] -= scale;
                    });
                  });
                  return std::vector<Tensor>{gl, Tensor()};
                });
}

}  // namespace sinklab::ops
