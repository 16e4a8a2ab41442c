#pragma once
// Per-step metrics: runs/<run>/metrics.jsonl (one JSON object per step) and metrics.csv (the same
// columns, for pandas). Each record is appended whole and checked: a crash loses at most one step,
// and a failed write stops training with an error naming the file.
#include <filesystem>
#include <optional>
#include <vector>

#include "io/append_file.h"

namespace sinklab::train {

// The keys of metrics.jsonl (and the columns of metrics.csv), written here once.
namespace metric_keys {
inline constexpr const char *step = "step", *tokens = "tokens", *loss = "loss", *lr = "lr", *grad_norm = "grad_norm",
                            *step_ms = "step_ms", *tokens_per_s = "tokens_per_s", *val_loss = "val_loss",
                            *loss_needs_attn = "loss_needs_attn", *loss_no_attn = "loss_no_attn",
                            *val_loss_needs_attn = "val_loss_needs_attn", *val_loss_no_attn = "val_loss_no_attn";
}  // namespace metric_keys

struct StepMetrics {
  std::int64_t step = 0, tokens = 0;
  double loss = 0, lr = 0, grad_norm = 0, step_ms = 0, tokens_per_s = 0;
  std::optional<double> val_loss;
  // Synthetic tasks: the loss over the targets that need attention and over those that do not.
  std::optional<double> loss_needs_attn, loss_no_attn, val_loss_needs_attn, val_loss_no_attn;
};

class MetricsLog {
 public:
  // Keeps the records of steps <= keep_until (the checkpoint a resumed run restarts from).
  // by_class: the CSV has the per-class loss columns too.
  MetricsLog(const std::filesystem::path& run_dir, std::int64_t keep_until, bool by_class = false);
  void write(const StepMetrics& m);

 private:
  io::AppendFile jsonl_, csv_;
  bool by_class_;
};

// Reads every record of a metrics.jsonl (for tests and comparisons).
std::vector<StepMetrics> read_metrics(const std::filesystem::path& jsonl);

}  // namespace sinklab::train
