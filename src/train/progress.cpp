#include "train/progress.h"

#include <unistd.h>

#include <cstdio>
#include <fmt/format.h>

namespace sinklab::train {

std::string format_duration(double s) {
  const auto t = static_cast<long long>(s + 0.5);
  if (t >= 3600) return fmt::format("{}h{:02d}m", t / 3600, (t % 3600) / 60);
  if (t >= 60) return fmt::format("{}m{:02d}s", t / 60, t % 60);
  return fmt::format("{}s", t);
}

Progress::Progress(std::int64_t total, std::int64_t log_every, const std::filesystem::path& log_file)
    : total_(total), log_every_(log_every), tty_(isatty(STDOUT_FILENO) != 0), log_(log_file) {}

void Progress::line(const std::string& text) {
  // The log first: it is the record, and a console that is not read may lose lines.
  log_.append(text + "\n");
  if (bar_shown_) std::fputs("\r\033[2K", stdout);
  std::fputs((text + "\n").c_str(), stdout);
  std::fflush(stdout);
  bar_shown_ = false;
}

void Progress::step(const StepMetrics& m, std::int64_t first_step) {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double per_step = elapsed / static_cast<double>(std::max<std::int64_t>(1, m.step - first_step));
  const double eta = per_step * static_cast<double>(total_ - m.step);
  const std::string stats = fmt::format("loss {:.4f} | lr {:.2e} | grad {:.3f} | {:.0f} ms | {:.1f}k tok/s", m.loss, m.lr,
                                        m.grad_norm, m.step_ms, m.tokens_per_s / 1000);
  const std::string plain = fmt::format("step {}/{} | {} | eta {}", m.step, total_, stats, format_duration(eta));
  if (m.step % log_every_ == 0 || m.step == total_) log_.append(plain + "\n");
  if (tty_) {
    constexpr int width = 24;
    const int filled = static_cast<int>(width * m.step / std::max<std::int64_t>(1, total_));
    std::fputs(fmt::format("\r\033[2K[{}{}] {}/{} {} | ETA {}", std::string(filled, '#'), std::string(width - filled, '.'),
                           m.step, total_, stats, format_duration(eta))
                   .c_str(),
               stdout);
    std::fflush(stdout);
    bar_shown_ = true;
  } else if (m.step % log_every_ == 0 || m.step == total_) {
    std::fputs((plain + "\n").c_str(), stdout);
    std::fflush(stdout);
  }
}

void Progress::finish() {
  if (bar_shown_) std::fputs("\n", stdout);
  bar_shown_ = false;
}

}  // namespace sinklab::train
