// A sink needs the first token's state aligned with every other token's (arXiv 2605.08453, claim 1
// and Fig 1): the distribution of cos(x_first, x_i) over the probe's tokens, at the embedding and
// at every attention input, not only its mean.
#include "analysis/attention_metrics.h"
#include "analysis/metric.h"
#include "analysis/residual_metrics.h"

namespace sinklab::analysis {
namespace {

constexpr Field bos_alignment{
    .key = "bos_alignment",
    .layout = Layout::per_site_quantiles,
    .unit = "cosine",
    .doc = "quantiles (min, 10%, 25%, median, 75%, 90%, max) of cos(x_first, x_i) over every probe token i > first, at the "
           "embedding (site 0) and at each layer's attention input, the block input after its norm (site l + 1)"};

class BosAlignment : public Metric {
 public:
  std::string_view name() const override { return "BOS alignment"; }
  std::vector<const Field*> fields() const override { return {&bos_alignment}; }

  void compute(const ProbePass& p, Record& record) const override {
    if (p.N - p.first < 2) return;
    std::vector<const Tensor*> states{&p.resid_pre(0)};
    for (std::int64_t l = 0; l < p.L; ++l) states.push_back(&p.attn_in(l));
    std::vector<std::vector<double>> quantiles(states.size());
    // Sites are independent: one per thread.
#pragma omp parallel for schedule(dynamic)
    for (std::size_t s = 0; s < states.size(); ++s) {
      std::vector<double> all;
      for (std::int64_t b = 0; b < p.B; ++b) {
        const auto c = first_token_cosines(states[s]->data<float>() + b * p.N * p.C, p.N, p.C, p.first);
        all.insert(all.end(), c.begin(), c.end());
      }
      for (double level : quantile_levels) quantiles[s].push_back(quantile(all, level));
    }
    Json sites = Json::array();
    for (const auto& q : quantiles) sites.push_back(q);
    record.set(bos_alignment, sites);
  }
};

}  // namespace

std::unique_ptr<Metric> bos_alignment_metric() { return std::make_unique<BosAlignment>(); }

}  // namespace sinklab::analysis
