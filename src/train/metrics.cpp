#include "train/metrics.h"

#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "engine/error.h"
#include "io/records.h"

namespace sinklab::train {
namespace {

namespace fs = std::filesystem;
namespace keys = metric_keys;

// The columns after step and tokens, in file order: every step, then the optional ones.
constexpr std::pair<const char*, double StepMetrics::*> every_step[] = {
    {keys::loss, &StepMetrics::loss},       {keys::lr, &StepMetrics::lr},
    {keys::grad_norm, &StepMetrics::grad_norm}, {keys::step_ms, &StepMetrics::step_ms},
    {keys::tokens_per_s, &StepMetrics::tokens_per_s}};
using Optional = std::pair<const char*, std::optional<double> StepMetrics::*>;
constexpr Optional validation[] = {{keys::val_loss, &StepMetrics::val_loss}};
// Synthetic tasks' class losses (their CSV columns only in runs that have them).
constexpr Optional class_losses[] = {{keys::loss_needs_attn, &StepMetrics::loss_needs_attn},
                                 {keys::loss_no_attn, &StepMetrics::loss_no_attn},
                                 {keys::val_loss_needs_attn, &StepMetrics::val_loss_needs_attn},
                                 {keys::val_loss_no_attn, &StepMetrics::val_loss_no_attn}};

std::string num(double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

std::string cell(const std::optional<double>& v) { return v ? num(*v) : ""; }

}  // namespace

namespace {

// Cuts a resumed run's records back to its checkpoint before the file is opened for appending.
io::AppendFile opened(const fs::path& file, std::int64_t keep_until, io::RecordFormat format) {
  io::keep_records_until(file, keep_until, format);
  return io::AppendFile(file);
}

}  // namespace

MetricsLog::MetricsLog(const fs::path& run_dir, std::int64_t keep_until, bool by_class)
    : jsonl_(opened(run_dir / "metrics.jsonl", keep_until, io::RecordFormat::jsonl)),
      csv_(opened(run_dir / "metrics.csv", keep_until, io::RecordFormat::csv)),
      by_class_(by_class) {
  if (!csv_.empty()) return;
  std::string header = fmt::format("{},{}", keys::step, keys::tokens);
  for (const auto& [key, member] : every_step) header += fmt::format(",{}", key);
  for (const auto& [key, member] : validation) header += fmt::format(",{}", key);
  if (by_class_)
    for (const auto& [key, member] : class_losses) header += fmt::format(",{}", key);
  csv_.append(header + "\n");
}

void MetricsLog::write(const StepMetrics& m) {
  nlohmann::ordered_json j{{keys::step, m.step}, {keys::tokens, m.tokens}};
  std::string row = fmt::format("{},{}", m.step, m.tokens);
  for (const auto& [key, member] : every_step) {
    j[key] = m.*member;
    row += "," + num(m.*member);
  }
  for (const auto& [key, member] : validation) {
    if (m.*member) j[key] = *(m.*member);
    row += "," + cell(m.*member);
  }
  for (const auto& [key, member] : class_losses) {
    if (m.*member) j[key] = *(m.*member);
    if (by_class_) row += "," + cell(m.*member);
  }
  jsonl_.append(j.dump() + "\n");
  csv_.append(row + "\n");
}

std::vector<StepMetrics> read_metrics(const fs::path& jsonl) {
  if (!fs::exists(jsonl)) fail("{}: cannot read", jsonl.string());
  std::vector<StepMetrics> out;
  for (const auto& [line, j] : io::read_jsonl(jsonl)) {
    try {
      StepMetrics m;
      m.step = j.at(keys::step).get<std::int64_t>();
      m.tokens = j.at(keys::tokens).get<std::int64_t>();
      for (const auto& [key, member] : every_step) m.*member = j.at(key).get<double>();
      for (const auto& [key, member] : validation)
        if (j.contains(key)) m.*member = j.at(key).get<double>();
      for (const auto& [key, member] : class_losses)
        if (j.contains(key)) m.*member = j.at(key).get<double>();
      out.push_back(m);
    } catch (const nlohmann::json::exception& e) {
      fail("{}:{}: not a metrics record ({})", jsonl.string(), line, e.what());
    }
  }
  return out;
}

}  // namespace sinklab::train
