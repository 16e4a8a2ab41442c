#pragma once
// Seeded generator with a state that checkpoints can save and restore exactly (xoshiro256**,
// seeded through splitmix64). Normal draws use Box-Muller so results do not depend on the
// standard library's distributions.
#include <array>
#include <cstdint>

#include "engine/tensor.h"

namespace sinklab {

class Rng {
 public:
  using State = std::array<std::uint64_t, 4>;

  explicit Rng(std::uint64_t seed = 0);

  std::uint64_t next_u64();
  double uniform();  // [0, 1)
  double normal();   // N(0, 1)
  std::uint64_t below(std::uint64_t n);  // uniform integer in [0, n)

  State state() const { return state_; }
  void set_state(const State& state) { state_ = state; }

 private:
  State state_;
};

// New tensors filled from `rng` in row-major order.
Tensor randn(const Shape& shape, Rng& rng, double stddev = 1.0, DType dtype = DType::f32);

}  // namespace sinklab
