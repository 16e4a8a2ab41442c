#include "optim/clip.h"

#include <cmath>

#include "engine/parallel.h"
#include "kernels/vector_math.h"

namespace sinklab::optim {

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm) {
  std::vector<float*> grads;
  std::vector<std::int64_t> sizes;
  for (const auto& p : params) {
    const Tensor g = p.grad();  // the parameter keeps it alive
    if (!g.defined()) continue;
    grads.push_back(g.data<float>());
    sizes.push_back(g.numel());
  }
  // Partial sums per piece, added in piece order: the norm does not depend on the thread count.
  const auto pieces = pieces_of(sizes);
  std::vector<double> partial(pieces.size());
  for_each_piece(pieces, [&](std::size_t i, const Piece& piece) {
    partial[i] = kernels::sum_squares(grads[piece.array] + piece.start, piece.length);
  });
  double total = 0;
  for (double v : partial) total += v;
  const double norm = std::sqrt(total);
  if (max_norm > 0 && norm > max_norm) {
    const auto scale = static_cast<float>(max_norm / (norm + 1e-6));
    for_each_piece(pieces, [&](std::size_t, const Piece& piece) {
      float* d = grads[piece.array] + piece.start;
      for (std::int64_t i = 0; i < piece.length; ++i) d[i] *= scale;
    });
  }
  return norm;
}

}  // namespace sinklab::optim
