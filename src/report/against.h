#pragma once
// A run's final statistics against a config key that differs between the runs (model.d_model
// across an ablation's grid, say): one curve per group of runs that agree on every other key,
// the mean over seeds with a min-max band, on log-log axes, with guide lines of given slopes
// (what a theory predicts). Written as <plot>_vs_<key>.png beside compare's other plots.
#include <filesystem>
#include <string>
#include <vector>

#include "report/plots.h"
#include "report/runs.h"

namespace sinklab::report {

// The files written (PNG names), one per field that declares a plot; per-ε fields are read at eps.
std::vector<std::string> plots_against(const Collection& runs, const std::string& key, double eps, const std::vector<double>& slopes,
                                       const std::filesystem::path& out, const PlotStyle& style);

}  // namespace sinklab::report
