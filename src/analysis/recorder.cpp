#include "analysis/recorder.h"

#include <cmath>
#include <fstream>

#include "analysis/fields.h"
#include "analysis/probe_pass.h"
#include "analysis/registry.h"
#include "io/atomic_file.h"
#include "io/npy.h"
#include "io/records.h"

namespace sinklab::analysis {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

// A run restarting from scratch (no checkpoint) records step 0 again: keep nothing then.
io::AppendFile cut_back(const fs::path& file, std::int64_t resume_step, io::RecordFormat format) {
  io::keep_records_until(file, resume_step > 0 ? resume_step : -1, format);
  return io::AppendFile(file);
}

}  // namespace

data::Batch probe_batch(const AnalysisConfig& c, const data::DataConfig& dc, const data::PreparedData& data, std::uint64_t seed) {
  // Always document-aligned, whatever data.window says: the first position is where sinks form.
  data::DataConfig aligned = dc;
  aligned.window = "document";
  return data::open_batches(aligned, data, data::Split::valid, std::min(c.probe_length, dc.context), c.probe_sequences,
                            seed + 0xA11CE)
      ->next();
}

json analyze(const nn::Transformer& model, const data::Batch& probe, const AnalysisConfig& config, Tensor* snapshot) {
  const ProbePass pass(model, probe, config);
  Record record;
  for (const auto& metric : metrics()) metric->compute(pass, record);
  if (snapshot) *snapshot = pass.snapshot();
  return std::move(record.json());
}

Recorder::Recorder(const AnalysisConfig& config, fs::path run_dir, data::Batch probe, std::int64_t resume_step)
    : config_(config),
      run_dir_(std::move(run_dir)),
      probe_(std::move(probe)),
      jsonl_(cut_back(run_dir_ / "analysis.jsonl", resume_step, io::RecordFormat::jsonl)),
      csv_(cut_back(run_dir_ / "analysis.csv", resume_step, io::RecordFormat::csv)),
      analyses_(static_cast<std::int64_t>(io::read_jsonl(run_dir_ / "analysis.jsonl").size())) {}

bool Recorder::due(std::int64_t step, bool last) const {
  return config_.every > 0 && (last || step % config_.every == 0);
}

json Recorder::record(const nn::Transformer& model, std::int64_t step, std::int64_t tokens, bool last) {
  const bool snap = analyses_ == 0 || last || (config_.snapshot_every > 0 && analyses_ % config_.snapshot_every == 0);
  Tensor maps;
  json r{{fields::step.key, step}, {fields::tokens.key, tokens}};
  const json body = analyze(model, probe_, config_, snap ? &maps : nullptr);
  for (const auto& [k, v] : body.items()) r[k] = v;
  if (snap) {
    const std::string rel = fmt::format("attn/step_{:07d}.npy", step);
    fs::create_directories(run_dir_ / "attn");
    io::write_npy(run_dir_ / rel, maps);
    r[fields::snapshot.key] = rel;
  }
  ++analyses_;
  jsonl_.append(r.dump() + "\n");
  const auto cols = csv_columns(r);
  std::string header, row;
  for (std::size_t i = 0; i < cols.size(); ++i) {
    header += (i ? "," : "") + cols[i].first;
    row += fmt::format("{}{}", i ? "," : "", cols[i].second);
  }
  if (csv_.empty()) csv_.append(header + "\n");
  csv_.append(row + "\n");
  return r;
}

std::vector<json> Recorder::write_summary() const {
  std::vector<json> records;
  for (auto& r : io::read_jsonl(run_dir_ / "analysis.jsonl")) records.push_back(std::move(r.value));
  if (records.empty()) return records;
  const json& last = records.back();
  const auto step = [](const json& r) { return r.at(fields::step.key); };
  const auto tokens = [](const json& r) { return r.at(fields::tokens.key); };
  json summary{{"step", step(last)}, {"tokens", tokens(last)}};
  json final_values;
  for (const auto& [k, v] : csv_columns(last)) final_values[k] = v;
  summary["final"] = final_values;
  // Emergence: the first analysis step at which the sink rate reaches 10% and 50% of its final value.
  json emergence = json::array();
  const auto eps = last.at(fields::eps.key).get<std::vector<double>>();
  for (std::size_t e = 0; e < eps.size(); ++e) {
    const double final_rate = last.at(fields::sink_rate.key)[e];
    json entry{{"eps", eps[e]}, {"final_sink_rate", final_rate}};
    for (double frac : {0.1, 0.5}) {
      json at = nullptr;
      if (final_rate > 0)
        for (const auto& rec : records)
          if (rec.at(fields::sink_rate.key)[e].get<double>() >= frac * final_rate) {
            at = json{{"step", step(rec)}, {"tokens", tokens(rec)}};
            break;
          }
      entry[fmt::format("reached_{}pct", static_cast<int>(frac * 100))] = at;
    }
    emergence.push_back(entry);
  }
  summary["sink_rate_emergence"] = emergence;
  io::write_file_atomic(run_dir_ / "summary.json", summary.dump(2) + "\n");
  return records;
}

}  // namespace sinklab::analysis
