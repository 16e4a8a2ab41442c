#include "train/loop_config.h"

namespace sinklab::train {

const config::Section<LoopConfig>& loop_section() {
  using C = LoopConfig;
  static const auto section = [] {
    config::Section<C> s("train");
    s.key("steps", &C::steps, "optimizer steps")
        .key("batch_size", &C::batch_size, "sequences per micro-batch")
        .key("grad_accum", &C::grad_accum, "micro-batches per optimizer step (tokens per step = batch_size * context * grad_accum)")
        .key("eval_every", &C::eval_every, "validation loss every N steps and at the end (0: only at the end)")
        .key("eval_batches", &C::eval_batches, "validation batches, drawn once per run from the validation split")
        .key("checkpoint_every", &C::checkpoint_every,
             "checkpoint every N steps, at the end, on Ctrl-C and at `--stop-after` (0: only those)")
        .key("keep_checkpoints", &C::keep_checkpoints, "how many recent checkpoints to keep")
        .key("threads", &C::threads, "threads for the engine and oneDNN (0: all cores)")
        .key("log_every", &C::log_every,
             "a progress line every N steps when the output is not a terminal (a terminal gets a live bar)");
    s.rule([](const C& c, const config::Report& check) {
      for (auto [key, v] : {std::pair{"steps", c.steps}, {"batch_size", c.batch_size}, {"grad_accum", c.grad_accum},
                            {"eval_batches", c.eval_batches}, {"keep_checkpoints", c.keep_checkpoints}, {"log_every", c.log_every}})
        check(v > 0, key, fmt::format("must be positive, got {}", v));
      for (auto [key, v] : {std::pair{"eval_every", c.eval_every}, {"checkpoint_every", c.checkpoint_every}, {"threads", c.threads}})
        check(v >= 0, key, fmt::format("must not be negative, got {}", v));
    });
    return s;
  }();
  return section;
}

}  // namespace sinklab::train
