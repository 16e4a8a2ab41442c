#pragma once
// The gradients of a list of parameters laid out in one contiguous buffer, parameter after
// parameter in list order: what a collective operation (an allreduce over processes) works on in
// a single call.
#include <cstdint>
#include <span>
#include <vector>

#include "engine/tensor.h"

namespace sinklab::optim {

class FlatGradients {
 public:
  explicit FlatGradients(std::vector<Tensor> params);

  // Copies every parameter's gradient into the buffer (zeros where a parameter has none yet).
  std::span<float> gather();
  // Copies the buffer back: every parameter's gradient becomes its slice (made if it had none).
  void scatter();
  std::span<float> buffer() { return buffer_; }

 private:
  std::vector<Tensor> params_;
  std::vector<std::int64_t> offsets_;  // where each parameter's gradient starts
  std::vector<float> buffer_;
};

}  // namespace sinklab::optim
