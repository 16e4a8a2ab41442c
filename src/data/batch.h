#pragma once
// What training consumes: batches of (inputs, targets), from a token file (loader.h) or from a
// synthetic task (synthetic.h), behind one interface whose position a checkpoint can save.
#include <cstdint>

#include "engine/rng.h"
#include "engine/tensor.h"

namespace sinklab::data {

constexpr std::int32_t ignore_index = -100;

struct Batch {
  Tensor inputs;   // (B, T) i32
  Tensor targets;  // (B, T) i32, ignore_index where no target counts
  // Synthetic tasks only: (B, T) i32, 1 where predicting the target needs attention to another
  // position, 0 where the current token alone determines it. Undefined for text.
  Tensor needs_attention;
  // This batch's part of its step's loss: its counted targets over those of the whole batch it
  // was cut from (one process's rows in data-parallel training, data/shard.h); 1 for a whole batch.
  double share = 1.0;
};

struct LoaderState {
  std::uint64_t epoch = 0;
  std::uint64_t cursor = 0;  // next position in this epoch's document order
  Rng::State rng{};          // random windows, or the synthetic stream
};

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual Batch next() = 0;
  virtual LoaderState state() const = 0;
  virtual void set_state(const LoaderState& state) = 0;
};

// The targets of one query class (needs_attention == want), ignore_index elsewhere.
Tensor class_targets(const Batch& batch, bool want);

}  // namespace sinklab::data
