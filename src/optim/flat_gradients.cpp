#include "optim/flat_gradients.h"

#include <algorithm>

#include "engine/error.h"

namespace sinklab::optim {

FlatGradients::FlatGradients(std::vector<Tensor> params) : params_(std::move(params)) {
  std::int64_t total = 0;
  for (const auto& p : params_) {
    if (p.dtype() != DType::f32) fail("FlatGradients: parameters must be float32, got {}", dtype_name(p.dtype()));
    offsets_.push_back(total);
    total += p.numel();
  }
  buffer_.assign(static_cast<std::size_t>(total), 0.0f);
}

std::span<float> FlatGradients::gather() {
  for (std::size_t i = 0; i < params_.size(); ++i) {
    float* dst = buffer_.data() + offsets_[i];
    const Tensor g = params_[i].grad();
    if (!g.defined()) {
      std::fill(dst, dst + params_[i].numel(), 0.0f);
      continue;
    }
    const Tensor c = g.is_contiguous() ? g : g.clone();
    std::copy(c.data<float>(), c.data<float>() + c.numel(), dst);
  }
  return buffer_;
}

void FlatGradients::scatter() {
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const float* src = buffer_.data() + offsets_[i];
    Tensor g = params_[i].grad();
    if (!g.defined() || !g.is_contiguous()) {
      g = Tensor::zeros(params_[i].shape());
      params_[i].set_grad(g);
    }
    std::copy(src, src + params_[i].numel(), g.data<float>());
  }
}

}  // namespace sinklab::optim
