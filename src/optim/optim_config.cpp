#include "optim/optim_config.h"

namespace sinklab::optim {

const config::Section<OptimConfig>& optim_section() {
  using C = OptimConfig;
  static const auto section = [] {
    config::Section<C> s("optim");
    s.key("lr", &C::lr, "peak learning rate")
        .key("min_lr", &C::min_lr, "learning rate at the end of the cosine decay")
        .key("warmup", &C::warmup, "steps of linear warmup (lr * (step + 1) / warmup)")
        .key("decay_steps", &C::decay_steps,
             "the step where the cosine reaches min_lr, which then holds to the end; 0 = train.steps. A run is extended "
             "by resuming it with a larger train.steps and decay_steps = its old train.steps: every step keeps its learning rate")
        .key({"betas", "AdamW betas",
              [](C& c, const config::Entry& e, const std::string& path) {
                const auto betas = config::convert<std::vector<double>>(e, path);
                if (betas.size() != 2) config::bad(e, path, fmt::format("expected two numbers [beta1, beta2], got {}", betas.size()));
                c.adamw.beta1 = betas[0];
                c.adamw.beta2 = betas[1];
              },
              [](const C& c) { return config::to_node(std::vector<double>{c.adamw.beta1, c.adamw.beta2}); }})
        .key("eps", [](C& c) -> double& { return c.adamw.eps; }, "AdamW epsilon")
        .key("weight_decay", [](C& c) -> double& { return c.adamw.weight_decay; }, "decoupled weight decay (AdamW)")
        .key("decay", [](C& c) -> DecayPolicy& { return c.adamw.decay; },
             "which parameters decay: `matrices` (every tensor of rank >= 2, embeddings included, as nanoGPT), `all`, `none`")
        .key("clip", &C::clip, "clip the global gradient norm to this; 0 turns clipping off");
    s.rule([](const C& c, const config::Report& check) {
      check(c.lr > 0, "lr", fmt::format("must be positive, got {}", c.lr));
      check(c.min_lr >= 0 && c.min_lr <= c.lr, "min_lr", fmt::format("must be in [0, optim.lr = {}], got {}", c.lr, c.min_lr));
      check(c.warmup >= 0, "warmup", "must not be negative");
      check(c.decay_steps == 0 || c.decay_steps > c.warmup, "decay_steps",
            fmt::format("must be 0 (train.steps) or more than optim.warmup = {}, got {}", c.warmup, c.decay_steps));
      for (double b : {c.adamw.beta1, c.adamw.beta2}) check(b >= 0 && b < 1, "betas", "each beta must be in [0, 1)");
      check(c.adamw.eps > 0, "eps", "must be positive");
      check(c.adamw.weight_decay >= 0, "weight_decay", "must not be negative");
      check(c.clip >= 0, "clip", "must not be negative (0 turns clipping off)");
    });
    return s;
  }();
  return section;
}

}  // namespace sinklab::optim
