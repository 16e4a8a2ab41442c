#pragma once
#include "engine/rng.h"
#include "nn/module.h"

namespace sinklab::nn {

// A (count, dim) table of learned vectors, looked up by integer id.
class Embedding : public Module {
 public:
  Embedding(std::int64_t count, std::int64_t dim, double init_std, Rng& rng);
  Tensor forward(const Tensor& ids) const;  // ids (...) i32 -> (..., dim)

  Tensor weight;
};

}  // namespace sinklab::nn
