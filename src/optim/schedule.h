#pragma once
#include <cstdint>

namespace sinklab::optim {

struct Schedule {
  double lr = 1e-3;
  double min_lr = 1e-4;
  std::int64_t warmup = 0;  // steps of linear warmup from lr / warmup to lr
  std::int64_t steps = 1;   // total steps; cosine from lr down to min_lr after warmup

  double at(std::int64_t step) const;  // step counts from 0
};

}  // namespace sinklab::optim
