#include "optim/optim_config.h"

namespace sinklab::optim {

const config::Section<OptimConfig>& optim_section() {
  using C = OptimConfig;
  static const auto section = [] {
    config::Section<C> s("optim");
    s.key("name", &C::name,
          "the optimizer: `adamw` (decoupled weight decay) or `sgd` (heavy-ball momentum, weight decay added to the "
          "gradient as an L2 penalty: its fixed points minimise loss + weight_decay / 2 * (sum of squared decayed "
          "weights), which representation-cost studies need)")
        .key("lr", &C::lr, "peak learning rate")
        .key("min_lr", &C::min_lr, "learning rate at the end of the cosine decay")
        .key("warmup", &C::warmup, "steps of linear warmup (lr * (step + 1) / warmup)")
        .key("decay_steps", &C::decay_steps,
             "the step where the cosine reaches min_lr, which then holds to the end; 0 = train.steps. A run is extended "
             "by resuming it with a larger train.steps and decay_steps = its old train.steps: every step keeps its learning rate")
        .key({"betas", "AdamW betas (optim.name adamw)",
              [](C& c, const config::Entry& e, const std::string& path) {
                const auto betas = config::convert<std::vector<double>>(e, path);
                if (betas.size() != 2) config::bad(e, path, fmt::format("expected two numbers [beta1, beta2], got {}", betas.size()));
                c.adamw.beta1 = betas[0];
                c.adamw.beta2 = betas[1];
              },
              [](const C& c) { return config::to_node(std::vector<double>{c.adamw.beta1, c.adamw.beta2}); }})
        .key("eps", [](C& c) -> double& { return c.adamw.eps; }, "AdamW epsilon (optim.name adamw)")
        .key("momentum", [](C& c) -> double& { return c.sgd.momentum; }, "SGD momentum, 0 for plain SGD (optim.name sgd)")
        .key("weight_decay", [](C& c) -> double& { return c.weight_decay.rate; },
             "weight decay: decoupled (w -= lr * weight_decay * w) with adamw, an L2 term added to the gradient with sgd")
        .key("decay", [](C& c) -> DecayPolicy& { return c.weight_decay.policy; },
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
      check(c.sgd.momentum >= 0 && c.sgd.momentum < 1, "momentum", fmt::format("must be in [0, 1), got {}", c.sgd.momentum));
      check(c.weight_decay.rate >= 0, "weight_decay", "must not be negative");
      check(c.clip >= 0, "clip", "must not be negative (0 turns clipping off)");
      // A setting of the other optimizer would do nothing: say so rather than ignore it.
      const AdamWConfig a0;
      const bool sgd = c.name == Algorithm::sgd;
      check(sgd || c.sgd.momentum == SgdConfig{}.momentum, "momentum",
            "only applies to optim.name: sgd (AdamW's momentum is optim.betas[0])");
      check(!sgd || (c.adamw.beta1 == a0.beta1 && c.adamw.beta2 == a0.beta2), "betas", "only applies to optim.name: adamw");
      check(!sgd || c.adamw.eps == a0.eps, "eps", "only applies to optim.name: adamw");
    });
    return s;
  }();
  return section;
}

std::unique_ptr<Optimizer> make_optimizer(const nn::NamedTensors& params, const OptimConfig& config) {
  switch (config.name) {
    case Algorithm::sgd:
      return std::make_unique<Sgd>(params, config.sgd, config.weight_decay);
    case Algorithm::adamw:
      break;
  }
  return std::make_unique<AdamW>(params, config.adamw, config.weight_decay);
}

int state_buffers(const OptimConfig& config) {
  if (config.name == Algorithm::sgd) return config.sgd.momentum > 0 ? 1 : 0;
  return 2;
}

}  // namespace sinklab::optim
