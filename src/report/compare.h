#pragma once
// `sinklab compare`: emergence curves of several runs or variants side by side, as plots (with
// their CSV data) and a report (report.md, report.html).
#include <filesystem>
#include <string>
#include <vector>

namespace sinklab::report {

struct CompareOptions {
  std::vector<std::filesystem::path> inputs;  // run folders and/or ablation folders
  std::filesystem::path out;                  // default: <ablation>/compare, or <runs_dir>/compare-<time>
  std::filesystem::path runs_dir = "runs";
  std::string x = "step";                     // step | tokens
  std::string baseline;                       // variant the table's differences refer to (default: the first)
  std::string against;                        // a config key: also plot final values against it (report/against.h)
  std::vector<double> slopes;                 // guide-line slopes of those plots (log-log)
  int width = 960, height = 540;              // line plots, pixels
};

struct CompareResult {
  std::filesystem::path out;
  std::vector<std::string> skipped;  // runs left out, with the reason
  std::vector<std::string> files;    // what was written, relative to out
};

CompareResult compare(const CompareOptions& options);

}  // namespace sinklab::report
