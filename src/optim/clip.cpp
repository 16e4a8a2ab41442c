#include "optim/clip.h"

#include <cmath>

#include "kernels/vector_math.h"

namespace sinklab::optim {

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm) {
  double total = 0;
  for (const auto& p : params) {
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    total += kernels::sum_squares(g.data<float>(), g.numel());
  }
  const double norm = std::sqrt(total);
  if (max_norm > 0 && norm > max_norm) {
    const auto scale = static_cast<float>(max_norm / (norm + 1e-6));
    for (const auto& p : params) {
      const Tensor g = p.grad();
      if (!g.defined()) continue;
      float* d = g.data<float>();
      for (std::int64_t i = 0; i < g.numel(); ++i) d[i] *= scale;
    }
  }
  return norm;
}

}  // namespace sinklab::optim
