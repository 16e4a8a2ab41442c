#include "engine/tensor.h"

#include <algorithm>
#include <cstring>

#include "engine/strided.h"

namespace sinklab {
namespace {

template <class Body>
decltype(auto) dispatch_any(DType dtype, Body&& body) {
  switch (dtype) {
    case DType::f32: return body.template operator()<float>();
    case DType::f64: return body.template operator()<double>();
    case DType::i32: return body.template operator()<std::int32_t>();
  }
  fail("unknown dtype");
}

}  // namespace

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  for (auto s : shape)
    if (s < 0) fail("Tensor::empty: negative size in shape {}", to_string(shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(static_cast<std::size_t>(sinklab::numel(shape)) * dtype_size(dtype));
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::zeros(const Shape& shape, DType dtype) {
  Tensor t = empty(shape, dtype);
  std::memset(t.storage()->data(), 0, t.storage()->bytes());
  return t;
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype) {
  Tensor t = empty(shape, dtype);
  dispatch_any(dtype, [&]<class T>() { std::fill_n(t.data<T>(), t.numel(), static_cast<T>(value)); });
  return t;
}

std::int64_t Tensor::size(std::int64_t axis) const {
  return impl_->shape[normalize_axis(axis, dim(), "Tensor::size")];
}

bool Tensor::is_contiguous() const {
  std::int64_t expected = 1;
  for (std::size_t i = dim(); i-- > 0;) {
    if (impl_->shape[i] != 1 && impl_->strides[i] != expected) return false;
    expected *= impl_->shape[i];
  }
  return true;
}

double Tensor::at(const Shape& index) const {
  if (index.size() != dim()) fail("Tensor::at: index of rank {} for a tensor of shape {}", index.size(), to_string(shape()));
  std::int64_t off = 0;
  for (std::size_t i = 0; i < index.size(); ++i) {
    if (index[i] < 0 || index[i] >= impl_->shape[i])
      fail("Tensor::at: index {} out of range for shape {}", to_string(index), to_string(shape()));
    off += index[i] * impl_->strides[i];
  }
  return dispatch_any(dtype(), [&]<class T>() { return static_cast<double>(data<T>()[off]); });
}

double Tensor::item() const {
  if (numel() != 1) fail("Tensor::item: tensor of shape {} has {} elements, not 1", to_string(shape()), numel());
  return at(Shape(dim(), 0));
}

Tensor Tensor::as_strided(const Shape& shape, const Shape& strides, std::int64_t offset) const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = impl_->dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::clone() const { return to(dtype()); }

Tensor Tensor::to(DType dtype) const {
  Tensor out = empty(shape(), dtype);
  copy_into(out, *this);
  return out;
}

Tensor Tensor::detach() const { return as_strided(shape(), strides(), offset()); }

Tensor& Tensor::set_requires_grad(bool on) {
  if (on && dtype() == DType::i32) fail("set_requires_grad: integer tensors of shape {} cannot have gradients", to_string(shape()));
  impl_->requires_grad = on;
  return *this;
}

void copy_into(const Tensor& dst, const Tensor& src) {
  if (dst.shape() != src.shape())
    fail("copy_into: destination shape {} differs from source shape {}", to_string(dst.shape()), to_string(src.shape()));
  dispatch_any(dst.dtype(), [&]<class D>() {
    dispatch_any(src.dtype(), [&]<class S>() {
      D* d = static_cast<D*>(dst.storage()->data());
      const S* s = static_cast<const S*>(src.storage()->data());
      for_each_row<2>(dst.shape(), {&dst.strides(), &src.strides()}, {dst.offset(), src.offset()},
                      [&](const auto& off, std::int64_t n, const auto& inc) {
                        // Unit-stride rows (head splits and merges) copy as blocks.
                        if constexpr (std::is_same_v<D, S>) {
                          if (inc[0] == 1 && inc[1] == 1) {
                            std::copy_n(s + off[1], n, d + off[0]);
                            return;
                          }
                        }
                        for (std::int64_t i = 0; i < n; ++i)
                          d[off[0] + i * inc[0]] = static_cast<D>(s[off[1] + i * inc[1]]);
                      });
    });
  });
}

void add_into(const Tensor& dst, const Tensor& src) {
  if (dst.shape() != src.shape() || dst.dtype() != src.dtype())
    fail("add_into: destination {} {} differs from source {} {}", dtype_name(dst.dtype()), to_string(dst.shape()),
         dtype_name(src.dtype()), to_string(src.shape()));
  dispatch_float(dst.dtype(), "add_into", [&]<class T>() {
    T* d = static_cast<T*>(dst.storage()->data());
    const T* s = static_cast<const T*>(src.storage()->data());
    for_each_row<2>(dst.shape(), {&dst.strides(), &src.strides()}, {dst.offset(), src.offset()},
                    [&](const auto& off, std::int64_t n, const auto& inc) {
                      if (inc[0] == 1 && inc[1] == 1) {
                        T* dp = d + off[0];
                        const T* sp = s + off[1];
#pragma omp simd  // src does not partly overlap dst (see the header)
                        for (std::int64_t i = 0; i < n; ++i) dp[i] += sp[i];
                      } else {
                        for (std::int64_t i = 0; i < n; ++i) d[off[0] + i * inc[0]] += s[off[1] + i * inc[1]];
                      }
                    });
  });
}

Tensor sum_of(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype())
    fail("sum_of: {} {} differs from {} {}", dtype_name(a.dtype()), to_string(a.shape()), dtype_name(b.dtype()),
         to_string(b.shape()));
  Tensor out = Tensor::empty(a.shape(), a.dtype());
  dispatch_float(a.dtype(), "sum_of", [&]<class T>() {
    T* o = out.data<T>();
    const T* pa = static_cast<const T*>(a.storage()->data());
    const T* pb = static_cast<const T*>(b.storage()->data());
    for_each_row<3>(a.shape(), {&out.strides(), &a.strides(), &b.strides()}, {0, a.offset(), b.offset()},
                    [&](const auto& off, std::int64_t n, const auto& inc) {
                      if (inc[1] == 1 && inc[2] == 1) {
#pragma omp simd  // out is a new buffer
                        for (std::int64_t i = 0; i < n; ++i) o[off[0] + i] = pa[off[1] + i] + pb[off[2] + i];
                      } else {
                        for (std::int64_t i = 0; i < n; ++i) o[off[0] + i] = pa[off[1] + i * inc[1]] + pb[off[2] + i * inc[2]];
                      }
                    });
  });
  return out;
}

void Tensor::set_grad(const Tensor& g) {
  if (g.shape() != shape() || g.dtype() != dtype() || !g.is_contiguous())
    fail("set_grad: a gradient of {} {} for a tensor of {} {}", dtype_name(g.dtype()), to_string(g.shape()), dtype_name(dtype()),
         to_string(shape()));
  impl_->grad = g.impl_ptr();
}

}  // namespace sinklab
