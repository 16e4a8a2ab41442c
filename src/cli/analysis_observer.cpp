#include "cli/analysis_observer.h"

#include <fmt/format.h>

#include <chrono>

#include "analysis/registry.h"

namespace sinklab::cli {

void AnalysisObserver::started(const train::TrainingContext& c) {
  if (c.config.analysis.every == 0) return;
  model_ = &c.model;
  const data::Batch probe = analysis::probe_batch(c.config.analysis, c.config.data, c.data, c.config.seed);
  recorder_ = std::make_unique<analysis::Recorder>(c.config.analysis, c.run_dir, probe, c.step);
}

std::string AnalysisObserver::stepped(std::int64_t step, std::int64_t tokens, bool last) {
  if (!recorder_ || !recorder_->due(step, last)) return "";
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = recorder_->record(*model_, step, tokens, last);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return fmt::format("analysis @ step {} | {} | {:.2f} s", step, analysis::headline(r), seconds);
}

std::string AnalysisObserver::finished() {
  if (!recorder_) return "";
  const auto records = recorder_->write_summary();
  return records.size() < 2 ? "" : analysis::emergence_table(records.front(), records.back());
}

}  // namespace sinklab::cli
