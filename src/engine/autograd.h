#pragma once
// Define-by-run reverse mode. Each differentiable op calls record() with a backward closure written
// beside its forward; backward() walks the recorded graph once, iteratively, and frees it.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tensor.h"

namespace sinklab {

// Receives d(loss)/d(output) (contiguous, unless the node takes strided gradients) and which inputs
// need a gradient; returns one gradient per input, shaped like that input (an undefined Tensor
// where none is needed). Runs in no-grad mode.
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad, const std::vector<bool>& needs)>;

struct Node {
  std::string name;  // the op, for errors and debugging
  std::vector<Tensor> inputs;
  BackwardFn backward;  // empty once the graph has been freed by backward()
  bool strided_grad = false;  // backward reads its gradient through strides: no contiguous copy first
};

bool grad_enabled();

class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// Makes `out` the result of a differentiable op: when grad mode is on and any input requires a
// gradient, attaches a node. Closures must not capture `out` itself (capture out.detach()),
// or the node would keep its own output alive.
Tensor record(Tensor out, std::string_view name, std::vector<Tensor> inputs, BackwardFn backward);

// Marks the node behind `out` (if one was recorded) as taking its gradient with any strides: view
// ops, and ops that read the gradient through strides, so a permuted gradient is not copied first.
void take_strided_grad(const Tensor& out);

// Accumulates d(root)/d(leaf) into .grad() of every leaf that requires grad. `grad` defaults to 1
// for a one-element root. The graph is freed afterwards; a second backward through it is an error.
void backward(const Tensor& root, const Tensor& grad = Tensor());

namespace debug {
// Fault injection for the gradient-check tests: scales every gradient that nodes named `op` return.
// A factor of 1 removes it. Not for use outside tests.
void scale_backward(const std::string& op, double factor);
}  // namespace debug

}  // namespace sinklab
