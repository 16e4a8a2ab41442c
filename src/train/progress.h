#pragma once
// What a person watching training sees: a live bar with ETA on a terminal, plain lines every
// log_every steps otherwise. Every line also goes to the run's log.txt.
#include <chrono>
#include <string>

#include "io/append_file.h"

#include "train/metrics.h"

namespace sinklab::train {

class Progress {
 public:
  Progress(std::int64_t total_steps, std::int64_t log_every, const std::filesystem::path& log_file);
  void step(const StepMetrics& m, std::int64_t first_step);
  void line(const std::string& text);  // a message, above the bar
  void finish();

 private:
  std::int64_t total_, log_every_;
  bool tty_;
  bool bar_shown_ = false;
  io::AppendFile log_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

std::string format_duration(double seconds);  // "4m12s"

}  // namespace sinklab::train
