#pragma once
// The one number of a field in an analysis record that curves, table cells and --against plots
// show: the value of a scalar, the mean of a grid or per-layer list, the entry of a per-ε list.
#include <optional>

#include <nlohmann/json.hpp>

#include "analysis/field.h"

namespace sinklab::report {

// nullopt when the record lacks the field, or a per-ε field lacks `eps`.
std::optional<double> field_summary(const analysis::Field& f, const nlohmann::json& record, double eps);

}  // namespace sinklab::report
