#include "ops/cross_entropy.h"

#include <cmath>

#include "engine/autograd.h"
#include "kernels/vector_math.h"
#include "ops/elementwise.h"
#include "ops/map.h"
#include "ops/targets.h"

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
  const std::int64_t count = detail::count_targets(targets, V, ignore_index, "cross_entropy");
  // When a backward will follow, the gradient of the mean loss, (softmax - onehot) / count, is
  // written during the forward while each row is still in cache, with one exp per logit (the
  // log-sum-exp and the backward's softmax used to take one each). The backward only scales it by g.
  const bool with_grad = grad_enabled() && logits_in.requires_grad();
  Tensor grad = with_grad ? Tensor::empty(logits.shape(), logits.dtype()) : Tensor();
  Tensor loss = dispatch_float(logits.dtype(), "cross_entropy", [&]<class T>() {
    const T* pl = logits.data<T>();
    T* pg = with_grad ? grad.data<T>() : nullptr;
    const T scale = count == 0 ? T(0) : static_cast<T>(1.0 / static_cast<double>(count));
    std::vector<double> row_loss(N, 0.0);
    detail::for_rows(N, V, [&](std::int64_t r) {
      const T* x = pl + r * V;
      const bool ignored = pt[r] == ignore_index;
      if (!pg) {
        if (!ignored) row_loss[r] = static_cast<double>(kernels::log_sum_exp(x, kernels::max_of(x, V), V) - x[pt[r]]);
        return;
      }
      T* gr = pg + r * V;
      if (ignored) {
        std::fill_n(gr, V, T(0));
        return;
      }
      row_loss[r] = static_cast<double>(kernels::softmax_row(x, gr, V, T(1), scale) - x[pt[r]]);
      gr[pt[r]] -= scale;
    });
    double total = 0;  // summed in row order: reproducible whatever the thread count
    for (double v : row_loss) total += v;
    return Tensor::scalar(count == 0 ? 0.0 : total / static_cast<double>(count), logits.dtype());
  });
  return record(loss, "cross_entropy", {logits_in, targets_in}, [grad](const Tensor& g, const std::vector<bool>&) {
    const double gv = g.item();
    return std::vector<Tensor>{gv == 1.0 ? grad : mul(grad, gv), Tensor()};
  });
}

}  // namespace sinklab::ops
