#include "train/metrics.h"

#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "engine/error.h"
#include "io/records.h"

namespace sinklab::train {
namespace {

namespace fs = std::filesystem;
constexpr const char* csv_header = "step,tokens,loss,lr,grad_norm,step_ms,tokens_per_s,val_loss";
constexpr const char* csv_class_header = ",loss_needs_attn,loss_no_attn,val_loss_needs_attn,val_loss_no_attn";

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
  if (csv_.empty()) csv_.append(fmt::format("{}{}\n", csv_header, by_class ? csv_class_header : ""));
}

void MetricsLog::write(const StepMetrics& m) {
  nlohmann::ordered_json j{{"step", m.step},     {"tokens", m.tokens},   {"loss", m.loss},
                           {"lr", m.lr},         {"grad_norm", m.grad_norm}, {"step_ms", m.step_ms},
                           {"tokens_per_s", m.tokens_per_s}};
  if (m.val_loss) j["val_loss"] = *m.val_loss;
  for (const auto& [key, v] : {std::pair{"loss_needs_attn", &m.loss_needs_attn}, {"loss_no_attn", &m.loss_no_attn},
                               {"val_loss_needs_attn", &m.val_loss_needs_attn}, {"val_loss_no_attn", &m.val_loss_no_attn}})
    if (*v) j[key] = **v;
  jsonl_.append(j.dump() + "\n");
  std::string row = fmt::format("{},{},{},{},{},{},{},{}", m.step, m.tokens, num(m.loss), num(m.lr), num(m.grad_norm),
                                num(m.step_ms), num(m.tokens_per_s), cell(m.val_loss));
  if (by_class_)
    row += fmt::format(",{},{},{},{}", cell(m.loss_needs_attn), cell(m.loss_no_attn), cell(m.val_loss_needs_attn),
                       cell(m.val_loss_no_attn));
  csv_.append(row + "\n");
}

std::vector<StepMetrics> read_metrics(const fs::path& jsonl) {
  if (!fs::exists(jsonl)) fail("{}: cannot read", jsonl.string());
  std::vector<StepMetrics> out;
  for (const auto& [line, j] : io::read_jsonl(jsonl)) {
    try {
      StepMetrics m;
      m.step = j.at("step").get<std::int64_t>();
      m.tokens = j.at("tokens").get<std::int64_t>();
      m.loss = j.at("loss").get<double>();
      m.lr = j.at("lr").get<double>();
      m.grad_norm = j.at("grad_norm").get<double>();
      m.step_ms = j.at("step_ms").get<double>();
      m.tokens_per_s = j.at("tokens_per_s").get<double>();
      if (j.contains("val_loss")) m.val_loss = j.at("val_loss").get<double>();
      for (const auto& [key, v] : {std::pair{"loss_needs_attn", &m.loss_needs_attn}, {"loss_no_attn", &m.loss_no_attn},
                                   {"val_loss_needs_attn", &m.val_loss_needs_attn}, {"val_loss_no_attn", &m.val_loss_no_attn}})
        if (j.contains(key)) *v = j.at(key).get<double>();
      out.push_back(m);
    } catch (const nlohmann::json::exception& e) {
      fail("{}:{}: not a metrics record ({})", jsonl.string(), line, e.what());
    }
  }
  return out;
}

}  // namespace sinklab::train
