#pragma once
// Plots rendered by gnuplot (PNG and SVG), each beside the CSV it was drawn from and the gnuplot
// script that drew it, so a user can re-plot in matplotlib or edit the script.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sinklab::report {

struct Band {
  double x = 0, mean = 0, min = 0, max = 0;
  int count = 0;  // seeds that have this point
};

struct Series {
  std::string variant;
  std::vector<Band> points;
};

// Mean line with a min-max band over seeds, from per-seed (x, y) points.
Series aggregate(const std::string& variant, const std::vector<std::vector<std::pair<double, double>>>& seeds);

struct PlotStyle {
  std::string title = "", xlabel = "", ylabel = "";
  int width = 960, height = 540;
  bool log_x = false, log_y = false;
  // Dashed guide lines y = c x^exponent, c chosen so each passes through the first point of the
  // first series (the scaling a theory predicts, to hold the measured slope against).
  std::vector<std::pair<double, std::string>> power_laws = {};
  // A dashed horizontal line at this y, e.g. a statistic's value under uniform attention.
  std::optional<double> reference = std::nullopt;
  std::string reference_label = "";
};

// Writes <name>.csv (variant_index,variant,x,mean,min,max), <name>.gp, <name>.png, <name>.svg.
void line_plot(const std::filesystem::path& dir, const std::string& name, const std::vector<Series>& series, const PlotStyle& style);

// One heatmap per variant side by side: values[variant][row][col] (e.g. layer x head).
void heatmaps(const std::filesystem::path& dir, const std::string& name, const std::vector<std::string>& variants,
              const std::vector<std::vector<std::vector<double>>>& values, const PlotStyle& style, const std::string& row_label,
              const std::string& col_label);

// A grid of attention maps: panels[row][col] (N x N each) with titles; written as one image.
void map_grid(const std::filesystem::path& dir, const std::string& name, const std::vector<std::vector<std::vector<float>>>& maps,
              std::int64_t n, const std::vector<std::string>& titles, int columns, const PlotStyle& style);

// Runs gnuplot on a script; errors name the script.
void run_gnuplot(const std::filesystem::path& script);

}  // namespace sinklab::report
