#include "analysis/head_slices.h"

namespace sinklab::analysis {

Matrix head_in(const Tensor& w, std::int64_t h, std::int64_t H, std::int64_t D) {
  const std::int64_t C = w.shape()[1], slice = h / (H / (w.shape()[0] / D));
  Matrix m(C, D);
  const float* p = w.data<float>();
  for (std::int64_t d = 0; d < D; ++d)
    for (std::int64_t c = 0; c < C; ++c) m(c, d) = p[(slice * D + d) * C + c];
  return m;
}

Matrix head_out(const Tensor& wo, std::int64_t h, std::int64_t D) {
  const std::int64_t C = wo.shape()[0], in = wo.shape()[1];
  Matrix m(C, D);
  const float* p = wo.data<float>();
  for (std::int64_t c = 0; c < C; ++c)
    for (std::int64_t d = 0; d < D; ++d) m(c, d) = p[c * in + h * D + d];
  return m;
}

namespace {

// Head h of sequence b in a (B, H, N, D) capture.
Matrix head_rows(const ProbePass& p, const float* capture, std::int64_t h, std::int64_t b) {
  Matrix m(p.N, p.D);
  for (std::int64_t j = 0; j < p.N; ++j)
    for (std::int64_t d = 0; d < p.D; ++d) m(j, d) = capture[((b * p.H + h) * p.N + j) * p.D + d];
  return m;
}

}  // namespace

Matrix head_values(const ProbePass& p, std::int64_t l, std::int64_t h, std::int64_t b) { return head_rows(p, p.values(l).data<float>(), h, b); }

Matrix head_mixed(const ProbePass& p, std::int64_t l, std::int64_t h, std::int64_t b) { return head_rows(p, p.mixed(l).data<float>(), h, b); }

}  // namespace sinklab::analysis
