#pragma once
// Ctrl-C (SIGINT) and SIGTERM set a flag the training loop reads between steps; a second Ctrl-C
// kills the process as usual.
namespace sinklab::train {

class InterruptGuard {
 public:
  InterruptGuard();   // installs the handlers
  ~InterruptGuard();  // restores the previous ones
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  static bool requested();
};

}  // namespace sinklab::train
