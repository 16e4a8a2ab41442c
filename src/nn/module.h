#pragma once
// Modules own parameters under dotted names ("blocks.3.attn.wq.weight"), the names used in
// checkpoints, safetensors files and analysis.
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.h"

namespace sinklab::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;  // children are registered by address
  Module& operator=(const Module&) = delete;

  NamedTensors named_parameters() const;  // in registration order, depth first
  std::vector<Tensor> parameters() const;
  std::int64_t parameter_count() const;

  void train(bool on = true);
  bool training() const { return training_; }

 protected:
  Tensor register_parameter(const std::string& name, Tensor value);
  void register_module(const std::string& name, Module& child);

 private:
  void collect(const std::string& prefix, NamedTensors& out) const;
  NamedTensors parameters_;
  std::vector<std::pair<std::string, Module*>> children_;
  bool training_ = true;
};

}  // namespace sinklab::nn
