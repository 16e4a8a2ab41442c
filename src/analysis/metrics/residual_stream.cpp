// The residual stream at each block's input and output: oversmoothing (how alike the tokens'
// states are) and the first token's state against the others.
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
    for (std::int64_t l = 0; l < p.L; ++l) {
      double in = 0, out = 0, cos = 0, norms = 0;
      for (std::int64_t b = 0; b < p.B; ++b) {
        const float* pre = p.resid_pre(l).data<float>() + b * p.N * p.C;
        const float* post = p.resid_post(l).data<float>() + b * p.N * p.C;
        in += mean_pairwise_cosine(pre, p.N, p.C, p.first);
        out += mean_pairwise_cosine(post, p.N, p.C, p.first);
        const auto f = first_token_stats(post, p.N, p.C, p.first);
        cos += f.cosine;
        norms += f.norm_ratio;
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
