#include "support/gradcheck.h"

#include <cmath>
#include <sstream>

#include "engine/autograd.h"

namespace sinklab::testing {
namespace {

double weighted_sum(const Tensor& out, const std::vector<double>& w) {
  const auto values = out.to_vector<double>();
  double s = 0;
  for (std::size_t i = 0; i < values.size(); ++i) s += values[i] * w[i];
  return s;
}

// Storage offsets of every logical element of t, in row-major order.
std::vector<std::int64_t> element_offsets(const Tensor& t) {
  std::vector<std::int64_t> offsets;
  offsets.reserve(static_cast<std::size_t>(t.numel()));
  Shape index(t.dim(), 0);
  for (std::int64_t n = 0; n < t.numel(); ++n) {
    std::int64_t off = t.offset();
    for (std::size_t d = 0; d < t.dim(); ++d) off += index[d] * t.strides()[d];
    offsets.push_back(off);
    for (std::size_t d = t.dim(); d-- > 0;) {
      if (++index[d] < t.shape()[d]) break;
      index[d] = 0;
    }
  }
  return offsets;
}

}  // namespace

::testing::AssertionResult gradcheck(const OpFn& f, const std::vector<Tensor>& inputs, const GradCheckOptions& options) {
  std::vector<Tensor> leaves;
  for (const auto& in : inputs) {
    Tensor leaf = in.detach();
    if (leaf.dtype() == DType::f32) return ::testing::AssertionFailure() << "gradcheck needs f64 inputs";
    if (leaf.dtype() == DType::f64) leaf.set_requires_grad();
    leaves.push_back(leaf);
  }
  Tensor out = f(leaves);
  Rng rng(1234);
  std::vector<double> w(static_cast<std::size_t>(out.numel()));
  for (auto& x : w) x = rng.normal();
  backward(out, Tensor::from_vector(w, out.shape()));

  NoGradGuard no_grad;
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    if (leaves[i].dtype() != DType::f64) continue;
    Tensor grad = leaves[i].grad();
    if (!grad.defined()) return ::testing::AssertionFailure() << "input " << i << " received no gradient";
    const auto analytic = grad.to_vector<double>();
    auto* base = static_cast<double*>(leaves[i].storage()->data());
    const auto offsets = element_offsets(leaves[i]);
    for (std::size_t e = 0; e < offsets.size(); ++e) {
      const double saved = base[offsets[e]];
      base[offsets[e]] = saved + options.eps;
      const double plus = weighted_sum(f(leaves), w);
      base[offsets[e]] = saved - options.eps;
      const double minus = weighted_sum(f(leaves), w);
      base[offsets[e]] = saved;
      const double numeric = (plus - minus) / (2 * options.eps);
      if (!(std::abs(analytic[e] - numeric) <= options.atol + options.rtol * std::abs(numeric))) {
        return ::testing::AssertionFailure() << "input " << i << " " << to_string(leaves[i].shape()) << " element " << e
                                             << ": analytic " << analytic[e] << " vs numeric " << numeric;
      }
    }
  }
  return ::testing::AssertionSuccess();
}

void expect_gradcheck(const std::string& op, const OpFn& f, const std::vector<Tensor>& inputs, const GradCheckOptions& options) {
  EXPECT_TRUE(gradcheck(f, inputs, options)) << "op " << op;
  debug::scale_backward(op, 1.01);
  const bool caught = !gradcheck(f, inputs, options);
  debug::scale_backward(op, 1.0);
  EXPECT_TRUE(caught) << "a 1% error in the backward of '" << op << "' went unnoticed";
}

Tensor random_input(const Shape& shape, Rng& rng, bool noncontiguous, double stddev) {
  if (!noncontiguous) return randn(shape, rng, stddev, DType::f64);
  Shape wide = shape;
  wide.push_back(2);
  Tensor buffer = randn(wide, rng, stddev, DType::f64);
  Shape strides = contiguous_strides(shape);
  for (auto& s : strides) s *= 2;
  return buffer.as_strided(shape, strides, 0);
}

std::int64_t random_size(Rng& rng, std::int64_t lo, std::int64_t hi) {
  return lo + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(hi - lo + 1)));
}

}  // namespace sinklab::testing
