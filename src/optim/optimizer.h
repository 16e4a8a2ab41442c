#pragma once
// What every optimizer shares: which parameters decay, the per-parameter state buffers that
// checkpoints save ("<prefix><param>"), the step count, clearing gradients.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/parallel.h"
#include "nn/module.h"

namespace sinklab::optim {

enum class DecayPolicy { matrices, all, none };

// nanoGPT decays matrices only (every tensor of rank >= 2, embeddings included); Gu et al. decay
// everything.
struct WeightDecay {
  double rate = 0.1;
  DecayPolicy policy = DecayPolicy::matrices;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  virtual void step(double lr) = 0;  // reads each parameter's .grad(); a parameter without one is skipped
  void zero_grad();
  std::int64_t steps() const { return steps_; }

  // State for checkpoints: one tensor per buffer prefix and parameter.
  nn::NamedTensors state() const;
  // `file` names the state in errors; every buffer must be there, float32, of its parameter's shape.
  void load_state(const nn::NamedTensors& state, std::int64_t steps, const std::filesystem::path& file);

 protected:
  // `what` names the optimizer in errors; each parameter gets one zeroed buffer per prefix.
  Optimizer(const nn::NamedTensors& params, std::vector<std::string> buffer_prefixes, const WeightDecay& decay,
            const char* what);

  struct Slot {
    std::string name;
    Tensor param;
    std::vector<Tensor> buffers;  // in the order of the prefixes
    bool decay;
  };
  std::vector<Slot> slots_;
  std::int64_t steps_ = 0;
  double weight_decay_;  // applies to the slots whose .decay is set

  // Runs body(slot, gradient, start, length) on pieces of every parameter that has a gradient, all
  // in one parallel loop: most parameters are too small to be worth a fork and join each.
  template <class Body>
  void for_each_gradient_piece(Body&& body) {
    std::vector<std::pair<Slot*, const float*>> live;
    std::vector<std::int64_t> sizes;
    for (auto& s : slots_) {
      const Tensor grad = s.param.grad();  // the parameter keeps it alive
      if (!grad.defined()) continue;
      live.emplace_back(&s, grad.data<float>());
      sizes.push_back(s.param.numel());
    }
    for_each_piece(pieces_of(sizes), [&](std::size_t, const Piece& piece) {
      body(*live[piece.array].first, live[piece.array].second, piece.start, piece.length);
    });
  }

 private:
  std::vector<std::string> prefixes_;
};

}  // namespace sinklab::optim
