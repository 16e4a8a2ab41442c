#include "train/interrupt.h"

#include <csignal>

namespace sinklab::train {
namespace {

volatile std::sig_atomic_t flag = 0;
struct sigaction previous_int, previous_term;

void on_signal(int sig) {
  flag = 1;
  // The next one ends the process the ordinary way.
  std::signal(sig, SIG_DFL);
}

}  // namespace

InterruptGuard::InterruptGuard() {
  flag = 0;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &previous_int);
  sigaction(SIGTERM, &sa, &previous_term);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &previous_int, nullptr);
  sigaction(SIGTERM, &previous_term, nullptr);
}

bool InterruptGuard::requested() { return flag != 0; }

}  // namespace sinklab::train
