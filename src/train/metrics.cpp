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

MetricsLog::MetricsLog(const fs::path& run_dir, std::int64_t keep_until, bool by_class) : by_class_(by_class) {
  const fs::path jsonl = run_dir / "metrics.jsonl", csv = run_dir / "metrics.csv";
  io::keep_records_until(jsonl, keep_until, io::RecordFormat::jsonl);
  io::keep_records_until(csv, keep_until, io::RecordFormat::csv);
  const bool new_csv = !fs::exists(csv) || fs::file_size(csv) == 0;
  jsonl_.open(jsonl, std::ios::app);
  csv_.open(csv, std::ios::app);
  if (!jsonl_ || !csv_) fail("{}: cannot write metrics", run_dir.string());
  if (new_csv) csv_ << csv_header << (by_class ? csv_class_header : "") << "\n";
}

void MetricsLog::write(const StepMetrics& m) {
  nlohmann::ordered_json j{{"step", m.step},     {"tokens", m.tokens},   {"loss", m.loss},
                           {"lr", m.lr},         {"grad_norm", m.grad_norm}, {"step_ms", m.step_ms},
                           {"tokens_per_s", m.tokens_per_s}};
  if (m.val_loss) j["val_loss"] = *m.val_loss;
  for (const auto& [key, v] : {std::pair{"loss_needs_attn", &m.loss_needs_attn}, {"loss_no_attn", &m.loss_no_attn},
                               {"val_loss_needs_attn", &m.val_loss_needs_attn}, {"val_loss_no_attn", &m.val_loss_no_attn}})
    if (*v) j[key] = **v;
  jsonl_ << j.dump() << "\n" << std::flush;
  csv_ << m.step << "," << m.tokens << "," << num(m.loss) << "," << num(m.lr) << "," << num(m.grad_norm) << ","
       << num(m.step_ms) << "," << num(m.tokens_per_s) << "," << cell(m.val_loss);
  if (by_class_)
    csv_ << "," << cell(m.loss_needs_attn) << "," << cell(m.loss_no_attn) << "," << cell(m.val_loss_needs_attn) << ","
         << cell(m.val_loss_no_attn);
  csv_ << "\n" << std::flush;
}

std::vector<StepMetrics> read_metrics(const fs::path& jsonl) {
  std::ifstream in(jsonl);
  if (!in) fail("{}: cannot read", jsonl.string());
  std::vector<StepMetrics> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    StepMetrics m;
    m.step = j.at("step");
    m.tokens = j.at("tokens");
    m.loss = j.at("loss");
    m.lr = j.at("lr");
    m.grad_norm = j.at("grad_norm");
    m.step_ms = j.at("step_ms");
    m.tokens_per_s = j.at("tokens_per_s");
    if (j.contains("val_loss")) m.val_loss = j.at("val_loss").get<double>();
    for (const auto& [key, v] : {std::pair{"loss_needs_attn", &m.loss_needs_attn}, {"loss_no_attn", &m.loss_no_attn},
                                 {"val_loss_needs_attn", &m.val_loss_needs_attn}, {"val_loss_no_attn", &m.val_loss_no_attn}})
      if (j.contains(key)) *v = j.at(key).get<double>();
    out.push_back(m);
  }
  return out;
}

}  // namespace sinklab::train
