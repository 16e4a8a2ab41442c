#pragma once
// Runs the probe set through the model (no gradients, no randomness: training is unchanged) and
// records every quantity of docs/metrics.md: runs/<run>/analysis.jsonl (nested [layer][head]
// arrays), analysis.csv (scalar summaries), attn/step_N.npy snapshots, and summary.json.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "analysis/analysis_config.h"
#include "data/dataset.h"
#include "engine/tensor.h"
#include "io/append_file.h"
#include "nn/transformer.h"

namespace sinklab::analysis {

// The probe set: `sequences` x `length` tokens from the validation split (document-aligned with
// BOS when bos is on) or from the synthetic stream, drawn once by the seed.
data::Batch probe_batch(const AnalysisConfig& config, const data::DataConfig& data_config, const data::PreparedData& data,
                        std::uint64_t seed);

// Every quantity for the model as it is now (by query class too when the probe has classes);
// `snapshot` receives the probe-mean attention maps (L, H, n, n) when defined (ProbePass::snapshot).
nlohmann::ordered_json analyze(const nn::Transformer& model, const data::Batch& probe, const AnalysisConfig& config,
                               Tensor* snapshot = nullptr);

class Recorder {
 public:
  // Cuts existing records back to resume_step (a resumed run).
  Recorder(const AnalysisConfig& config, std::filesystem::path run_dir, data::Batch probe, std::int64_t resume_step);

  bool due(std::int64_t step, bool last) const;
  // Analyses the model, appends the record to analysis.jsonl and analysis.csv, and returns it.
  nlohmann::ordered_json record(const nn::Transformer& model, std::int64_t step, std::int64_t tokens, bool last);
  // summary.json: final values and emergence times of the sink rate. Returns the run's records.
  std::vector<nlohmann::ordered_json> write_summary() const;

 private:
  AnalysisConfig config_;
  std::filesystem::path run_dir_;
  data::Batch probe_;
  io::AppendFile jsonl_, csv_;
  std::int64_t analyses_ = 0;
};

}  // namespace sinklab::analysis
