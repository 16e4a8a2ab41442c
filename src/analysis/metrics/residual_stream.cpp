// The residual stream at each block's input and output: oversmoothing (how alike the tokens'
// states are) and the first token's state against the others.
#include <array>

#include "analysis/fields.h"
#include "analysis/metric.h"
#include "analysis/residual_metrics.h"

namespace sinklab::analysis {
namespace {

using fields::oversmoothing_out;

constexpr Field oversmoothing_in{.key = "oversmoothing_in",
                                 .layout = Layout::per_layer,
                                 .unit = "cosine",
                                 .doc = "the same mean pairwise cosine at the block's input"};
constexpr Field bos_cosine{.key = "bos_cosine",
                           .layout = Layout::per_layer,
                           .unit = "cosine",
                           .doc = "mean_{i>first} cos(h_first, h_i) at the block's output, probe mean"};
constexpr Field bos_norm_ratio{.key = "bos_norm_ratio",
                               .layout = Layout::per_layer,
                               .unit = "ratio",
                               .doc = "‖h_first‖ / median_{i>first} ‖h_i‖ at the block's output (massive activations), probe mean",
                               .csv = "bos_norm_ratio"};

class ResidualStream : public Metric {
 public:
  std::string_view name() const override { return "residual stream"; }
  std::vector<const Field*> fields() const override { return {&oversmoothing_in, &oversmoothing_out, &bos_cosine, &bos_norm_ratio}; }

  void compute(const ProbePass& p, Record& record) const override {
    const auto L = static_cast<std::size_t>(p.L);
    std::vector<double> smooth_in(L), smooth_out(L), cosine(L), ratio(L);
    const auto B = static_cast<double>(p.B);
    // One (layer, sequence) per task into its own slot, summed in order after: the result does
    // not depend on the threads.
    std::vector<std::array<double, 4>> terms(static_cast<std::size_t>(p.L * p.B));
#pragma omp parallel for schedule(dynamic)
    for (std::int64_t lb = 0; lb < p.L * p.B; ++lb) {
      const std::int64_t l = lb / p.B, b = lb % p.B;
      const float* pre = p.resid_pre(l).data<float>() + b * p.N * p.C;
      const float* post = p.resid_post(l).data<float>() + b * p.N * p.C;
      const auto f = first_token_stats(post, p.N, p.C, p.first);
      terms[static_cast<std::size_t>(lb)] = {mean_pairwise_cosine(pre, p.N, p.C, p.first), mean_pairwise_cosine(post, p.N, p.C, p.first),
                                             f.cosine, f.norm_ratio};
    }
    for (std::int64_t l = 0; l < p.L; ++l) {
      double in = 0, out = 0, cos = 0, norms = 0;
      for (std::int64_t b = 0; b < p.B; ++b) {
        const auto& t = terms[static_cast<std::size_t>(l * p.B + b)];
        in += t[0], out += t[1], cos += t[2], norms += t[3];
      }
      smooth_in[l] = in / B, smooth_out[l] = out / B, cosine[l] = cos / B, ratio[l] = norms / B;
    }
    record.set(oversmoothing_in, smooth_in);
    record.set(oversmoothing_out, smooth_out);
    record.set(bos_cosine, cosine);
    record.set(bos_norm_ratio, ratio);
  }
};

}  // namespace

std::unique_ptr<Metric> residual_stream_metric() { return std::make_unique<ResidualStream>(); }

}  // namespace sinklab::analysis
