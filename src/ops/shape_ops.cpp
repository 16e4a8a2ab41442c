#include "ops/shape_ops.h"

#include "engine/autograd.h"
#include "engine/strided.h"
#include "ops/reduce.h"

namespace sinklab::ops {
namespace {

Shape infer_shape(const Tensor& x, Shape shape) {
  std::int64_t known = 1;
  int infer = -1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0) fail("reshape: more than one -1 in {}", to_string(shape));
      infer = static_cast<int>(i);
    } else if (shape[i] < 0) {
      fail("reshape: negative size in {}", to_string(shape));
    } else {
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || x.numel() % known != 0) fail("reshape: cannot reshape {} into {}", to_string(x.shape()), to_string(shape));
    shape[infer] = x.numel() / known;
  }
  if (numel(shape) != x.numel()) fail("reshape: cannot reshape {} ({} elements) into {}", to_string(x.shape()), x.numel(), to_string(shape));
  return shape;
}

}  // namespace

Tensor contiguous(const Tensor& x) {
  if (x.is_contiguous()) return x;
  return record(x.clone(), "contiguous", {x}, [](const Tensor& g, const std::vector<bool>&) { return std::vector<Tensor>{g}; });
}

Tensor reshape(const Tensor& x, const Shape& shape) {
  const Shape target = infer_shape(x, shape);
  Tensor base = x.is_contiguous() ? x.detach() : x.clone();
  Tensor out = base.as_strided(target, contiguous_strides(target), base.offset());
  return record(out, "reshape", {x}, [in_shape = x.shape()](const Tensor& g, const std::vector<bool>&) {
    return std::vector<Tensor>{g.as_strided(in_shape, contiguous_strides(in_shape), g.offset())};
  });
}

Tensor permute(const Tensor& x, const std::vector<std::int64_t>& dims) {
  if (dims.size() != x.dim()) fail("permute: {} dims given for shape {}", dims.size(), to_string(x.shape()));
  Shape shape(dims.size()), strides(dims.size());
  std::vector<std::int64_t> inverse(dims.size(), -1);
  for (std::size_t i = 0; i < dims.size(); ++i) {
    const int d = normalize_axis(dims[i], x.dim(), "permute");
    if (inverse[d] != -1) fail("permute: axis {} repeated in the permutation of shape {}", dims[i], to_string(x.shape()));
    inverse[d] = static_cast<std::int64_t>(i);
    shape[i] = x.shape()[d];
    strides[i] = x.strides()[d];
  }
  Tensor out = x.as_strided(shape, strides, x.offset());
  out = record(out, "permute", {x}, [inverse](const Tensor& g, const std::vector<bool>&) {
    return std::vector<Tensor>{permute(g, inverse)};
  });
  take_strided_grad(out);  // a permuted gradient is permuted back, not copied
  return out;
}

Tensor transpose(const Tensor& x, std::int64_t a, std::int64_t b) {
  std::vector<std::int64_t> dims(x.dim());
  for (std::size_t i = 0; i < dims.size(); ++i) dims[i] = static_cast<std::int64_t>(i);
  std::swap(dims[normalize_axis(a, x.dim(), "transpose")], dims[normalize_axis(b, x.dim(), "transpose")]);
  return permute(x, dims);
}

Tensor slice(const Tensor& x, std::int64_t axis, std::int64_t start, std::int64_t end) {
  const int d = normalize_axis(axis, x.dim(), "slice");
  if (start < 0 || end > x.shape()[d] || start > end)
    fail("slice: range [{}, {}) is out of bounds for axis {} of shape {}", start, end, axis, to_string(x.shape()));
  Shape shape = x.shape();
  shape[d] = end - start;
  Tensor out = x.as_strided(shape, x.strides(), x.offset() + start * x.strides()[d]);
  return record(out, "slice", {x}, [in_shape = x.shape(), dtype = x.dtype(), d, start](const Tensor& g, const std::vector<bool>&) {
    Tensor full = Tensor::zeros(in_shape, dtype);
    copy_into(full.as_strided(g.shape(), full.strides(), start * full.strides()[d]), g);
    return std::vector<Tensor>{full};
  });
}

Tensor expand(const Tensor& x, const Shape& shape) {
  const Shape target = broadcast_shapes(x.shape(), shape, "expand");
  if (target != shape) fail("expand: shape {} cannot be expanded to {}", to_string(x.shape()), to_string(shape));
  Tensor out = x.as_strided(shape, broadcast_strides(x.shape(), x.strides(), shape), x.offset());
  return record(out, "expand", {x}, [in_shape = x.shape()](const Tensor& g, const std::vector<bool>&) {
    return std::vector<Tensor>{sum_to(g, in_shape)};
  });
}

Tensor concat(const std::vector<Tensor>& xs, std::int64_t axis) {
  if (xs.empty()) fail("concat: no tensors given");
  const int d = normalize_axis(axis, xs[0].dim(), "concat");
  Shape shape = xs[0].shape();
  shape[d] = 0;
  for (const auto& x : xs) {
    Shape s = x.shape();
    if (s.size() != shape.size() || x.dtype() != xs[0].dtype()) fail("concat: tensor {} does not match {}", to_string(s), to_string(xs[0].shape()));
    s[d] = 0;
    for (std::size_t i = 0; i < s.size(); ++i)
      if (static_cast<int>(i) != d && s[i] != shape[i])
        fail("concat: shapes {} and {} differ outside axis {}", to_string(x.shape()), to_string(xs[0].shape()), axis);
    shape[d] += x.shape()[d];
  }
  Tensor out = Tensor::empty(shape, xs[0].dtype());
  std::vector<std::int64_t> starts;
  std::int64_t at = 0;
  for (const auto& x : xs) {
    starts.push_back(at);
    copy_into(out.as_strided(x.shape(), out.strides(), at * out.strides()[d]), x);
    at += x.shape()[d];
  }
  return record(out, "concat", xs, [starts, d, sizes = [&] {
    std::vector<std::int64_t> s;
    for (const auto& x : xs) s.push_back(x.shape()[d]);
    return s;
  }()](const Tensor& g, const std::vector<bool>&) {
    std::vector<Tensor> grads;
    for (std::size_t i = 0; i < starts.size(); ++i) grads.push_back(slice(g, d, starts[i], starts[i] + sizes[i]));
    return grads;
  });
}

}  // namespace sinklab::ops
