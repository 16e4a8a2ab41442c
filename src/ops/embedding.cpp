#include "ops/embedding.h"

#include <algorithm>

#include "engine/autograd.h"
#include "ops/map.h"

namespace sinklab::ops {

Tensor embedding(const Tensor& weight_in, const Tensor& ids_in) {
  if (weight_in.dim() != 2) fail("embedding: weight must be (V, D), got {}", to_string(weight_in.shape()));
  if (ids_in.dtype() != DType::i32) fail("embedding: ids must be i32, got {}", dtype_name(ids_in.dtype()));
  const Tensor weight = detail::contiguous_data(weight_in), ids = detail::contiguous_data(ids_in);
  const std::int64_t V = weight.shape()[0], D = weight.shape()[1], n = ids.numel();
  const std::int32_t* pid = ids.data<std::int32_t>();
  for (std::int64_t i = 0; i < n; ++i)
    if (pid[i] < 0 || pid[i] >= V) fail("embedding: id {} at position {} is outside the vocabulary [0, {})", pid[i], i, V);
  Shape shape = ids.shape();
  shape.push_back(D);
  Tensor out = Tensor::empty(shape, weight.dtype());
  dispatch_float(weight.dtype(), "embedding", [&]<class T>() {
    const T* pw = weight.data<T>();
    T* po = out.data<T>();
    detail::for_rows(n, D, [&](std::int64_t i) { std::copy_n(pw + pid[i] * D, D, po + i * D); });
  });
  return record(out, "embedding", {weight_in, ids_in}, [ids, V, D, n](const Tensor& g, const std::vector<bool>&) {
    Tensor gw = Tensor::zeros({V, D}, g.dtype());
    dispatch_float(g.dtype(), "embedding backward", [&]<class T>() {
      const std::int32_t* pid = ids.data<std::int32_t>();
      const T* pg = g.data<T>();
      T* pw = gw.data<T>();
      // Columns are split across threads so no two threads add into the same element, and each
      // element's sum keeps the sequential order (reproducible).
      constexpr std::int64_t block = 64;
#pragma omp parallel for schedule(static) if (parallel_worthwhile(n * D))
      for (std::int64_t c0 = 0; c0 < D; c0 += block) {
        const std::int64_t c1 = std::min(D, c0 + block);
        for (std::int64_t i = 0; i < n; ++i) {
          T* dst = pw + pid[i] * D;
          const T* src = pg + i * D;
          for (std::int64_t c = c0; c < c1; ++c) dst[c] += src[c];
        }
      }
    });
    return std::vector<Tensor>{gw, Tensor()};
  });
}

}  // namespace sinklab::ops
