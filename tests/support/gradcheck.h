#pragma once
// Gradient checks: the engine's backward against central differences in double precision.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "engine/rng.h"
#include "engine/tensor.h"

namespace sinklab::testing {

using OpFn = std::function<Tensor(const std::vector<Tensor>&)>;

struct GradCheckOptions {
  double eps = 1e-6;   // central-difference step
  double atol = 1e-7;  // |analytic - numeric| <= atol + rtol * |numeric|, elementwise
  double rtol = 1e-5;
};

// Checks d(sum(f(x) * w))/dx for every floating input x, with a fixed random w. Inputs must be f64.
::testing::AssertionResult gradcheck(const OpFn& f, const std::vector<Tensor>& inputs, const GradCheckOptions& options = {});

// gradcheck must pass, and must fail once the gradients returned by nodes named `op` are scaled by
// 1.01: proof that the check would catch a wrong backward of that op.
void expect_gradcheck(const std::string& op, const OpFn& f, const std::vector<Tensor>& inputs,
                      const GradCheckOptions& options = {});

// A random f64 tensor; with noncontiguous, a strided view (every other element of a larger buffer).
Tensor random_input(const Shape& shape, Rng& rng, bool noncontiguous = false, double stddev = 1.0);

// A random size in [lo, hi].
std::int64_t random_size(Rng& rng, std::int64_t lo, std::int64_t hi);

}  // namespace sinklab::testing
