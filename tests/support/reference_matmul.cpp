#include "support/reference_matmul.h"

namespace sinklab::testing {

Tensor reference_matmul(const Tensor& a, const Tensor& b) {
  const std::size_t ra = a.dim(), rb = b.dim();
  const std::int64_t M = a.shape()[ra - 2], K = a.shape()[ra - 1], N = b.shape()[rb - 1];
  const Shape batch(a.shape().begin(), a.shape().end() - 2);
  Shape out_shape = batch;
  out_shape.push_back(M);
  out_shape.push_back(N);
  Tensor out = Tensor::zeros(out_shape, DType::f64);
  const std::int64_t batches = numel(batch);
  for (std::int64_t bi = 0; bi < batches; ++bi) {
    Shape index(batch.size());
    for (std::int64_t rem = bi, d = static_cast<std::int64_t>(batch.size()) - 1; d >= 0; --d) {
      index[d] = rem % batch[d];
      rem /= batch[d];
    }
    for (std::int64_t m = 0; m < M; ++m)
      for (std::int64_t n = 0; n < N; ++n) {
        double acc = 0;
        for (std::int64_t k = 0; k < K; ++k) {
          Shape ia = index, ib = rb == 2 ? Shape{} : index;
          ia.insert(ia.end(), {m, k});
          ib.insert(ib.end(), {k, n});
          acc += a.at(ia) * b.at(ib);
        }
        out.data<double>()[(bi * M + m) * N + n] = acc;
      }
  }
  return out;
}

}  // namespace sinklab::testing
