#pragma once
#include <cstdint>

namespace sinklab::optim {

struct Schedule {
  double lr = 1e-3;
  double min_lr = 1e-4;
  std::int64_t warmup = 0;  // steps of linear warmup from lr / warmup to lr
  std::int64_t steps = 1;   // the cosine runs from lr after warmup down to min_lr here, which then holds

  double at(std::int64_t step) const;  // step counts from 0
};

}  // namespace sinklab::optim
