#pragma once
// Tensors: a shared Storage seen through (shape, strides, offset). Views share storage; the
// differentiable view ops (reshape, permute, slice, expand) live in ops/, built on as_strided().
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/dtype.h"
#include "engine/shape.h"
#include "engine/storage.h"

namespace sinklab {

struct Node;

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;  // in elements
  std::int64_t offset = 0;  // in elements
  DType dtype = DType::f32;
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;  // accumulated by backward() on tensors without grad_fn
  std::shared_ptr<Node> grad_fn;     // set on results of differentiable ops while grad mode is on
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  static Tensor empty(const Shape& shape, DType dtype = DType::f32);
  static Tensor zeros(const Shape& shape, DType dtype = DType::f32);
  static Tensor full(const Shape& shape, double value, DType dtype = DType::f32);
  static Tensor scalar(double value, DType dtype = DType::f32) { return full({}, value, dtype); }
  template <class T>
  static Tensor from_vector(const std::vector<T>& values, const Shape& shape);

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl_->shape; }
  const Shape& strides() const { return impl_->strides; }
  std::int64_t offset() const { return impl_->offset; }
  std::size_t dim() const { return impl_->shape.size(); }
  std::int64_t size(std::int64_t axis) const;
  std::int64_t numel() const { return sinklab::numel(impl_->shape); }
  DType dtype() const { return impl_->dtype; }
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const { return impl_->storage; }

  // Typed pointer to element (0, ..., 0); checks that T matches the dtype.
  template <class T>
  T* data() const;

  void* raw_data() const {
    return static_cast<char*>(impl_->storage->data()) + impl_->offset * static_cast<std::int64_t>(dtype_size(impl_->dtype));
  }

  // Element at a multi-index, as double (tests and small reads; not for hot loops).
  double at(const Shape& index) const;
  double item() const;  // the single element of a one-element tensor
  template <class T>
  std::vector<T> to_vector() const;  // logical row-major order

  // A view on the same storage: no copy, no autograd (ops/ wraps it with gradients).
  Tensor as_strided(const Shape& shape, const Shape& strides, std::int64_t offset) const;
  Tensor clone() const;  // contiguous copy, no autograd
  Tensor to(DType dtype) const;  // contiguous converted copy, no autograd
  Tensor detach() const;  // same storage and view, no graph

  bool requires_grad() const { return impl_->requires_grad; }
  Tensor& set_requires_grad(bool on = true);
  Tensor grad() const { return Tensor(impl_->grad); }
  void zero_grad() { impl_->grad.reset(); }
  // Makes `g` (same shape and dtype, contiguous, not a view of another tensor's gradient) this
  // tensor's accumulated gradient, as backward() would have left it.
  void set_grad(const Tensor& g);
  const std::shared_ptr<Node>& grad_fn() const { return impl_->grad_fn; }

  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// Copies src into dst elementwise (same shape; any strides and dtypes of equal kind).
void copy_into(const Tensor& dst, const Tensor& src);

// dst += src elementwise (same shape and dtype; dst any strides). src must not partly overlap dst
// (the loop is vectorised); the very same elements are fine.
void add_into(const Tensor& dst, const Tensor& src);

// a + b as a new contiguous tensor (same shape and dtype, any strides), without autograd: one pass
// where a copy then add_into would take two.
Tensor sum_of(const Tensor& a, const Tensor& b);

template <class T>
T* Tensor::data() const {
  if (impl_->dtype != dtype_of<T>())
    fail("Tensor::data: tensor holds {}, asked for {}", dtype_name(impl_->dtype), dtype_name(dtype_of<T>()));
  return static_cast<T*>(impl_->storage->data()) + impl_->offset;
}

template <class T>
Tensor Tensor::from_vector(const std::vector<T>& values, const Shape& shape) {
  if (static_cast<std::int64_t>(values.size()) != sinklab::numel(shape))
    fail("Tensor::from_vector: {} values do not fill shape {}", values.size(), to_string(shape));
  Tensor t = empty(shape, dtype_of<T>());
  std::copy(values.begin(), values.end(), t.data<T>());
  return t;
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  Tensor c = is_contiguous() ? *this : clone();
  const T* p = c.data<T>();
  return std::vector<T>(p, p + c.numel());
}

}  // namespace sinklab
