// Output gates (model.attention.gate): how open they are, per layer, over the probe.
#include "analysis/metric.h"

namespace sinklab::analysis {
namespace {

constexpr Field gate_mean{.key = "gate_mean",
                          .layout = Layout::per_layer,
                          .unit = "gate",
                          .doc = "(gated attention) the mean gate value over the probe",
                          .csv = "gate_mean"};
constexpr Field gate_small_frac{.key = "gate_small_frac",
                                .layout = Layout::per_layer,
                                .unit = "fraction",
                                .doc = "(gated attention) the share of gates below 0.1 (nearly closed)"};

class Gates : public Metric {
 public:
  std::string_view name() const override { return "gates"; }
  std::vector<const Field*> fields() const override { return {&gate_mean, &gate_small_frac}; }

  void compute(const ProbePass& p, Record& record) const override {
    std::vector<double> mean, small;
    for (std::int64_t l = 0; l < p.L; ++l) {
      const Tensor* gate = p.gate(l);
      if (gate == nullptr) continue;
      const auto g = gate->to_vector<float>();
      double m = 0, s = 0;
      for (float v : g) m += v, s += v < 0.1f;
      mean.push_back(m / static_cast<double>(g.size()));
      small.push_back(s / static_cast<double>(g.size()));
    }
    if (mean.empty()) return;
    record.set(gate_mean, mean);
    record.set(gate_small_frac, small);
  }
};

}  // namespace

std::unique_ptr<Metric> gate_metric() { return std::make_unique<Gates>(); }

}  // namespace sinklab::analysis
