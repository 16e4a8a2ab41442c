#include "report/field_summary.h"

#include <cmath>
#include <vector>

#include "analysis/fields.h"
#include "analysis/grid.h"
#include "analysis/metric.h"

namespace sinklab::report {

using analysis::Layout;

std::optional<double> field_summary(const analysis::Field& f, const nlohmann::json& r, double eps) {
  const nlohmann::json* v = analysis::find(r, f);
  if (v == nullptr) return std::nullopt;
  switch (f.layout) {
    case Layout::scalar:
    case Layout::count: return v->get<double>();
    case Layout::per_head: return analysis::grid_mean(*v);
    case Layout::per_layer: return analysis::list_mean(*v);
    case Layout::per_eps: {
      const auto all = r.at(analysis::fields::eps.key).get<std::vector<double>>();
      for (std::size_t i = 0; i < all.size(); ++i)
        if (std::abs(all[i] - eps) < 1e-12) return (*v)[i].get<double>();
      return std::nullopt;  // a run that did not record this threshold has no point on its curve
    }
    default: return std::nullopt;
  }
}

}  // namespace sinklab::report
