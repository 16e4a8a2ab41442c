#pragma once
// sinklab's parameters under Hugging Face's names and layouts, and back. Llama's tensors differ
// from sinklab's by name only; GPT-2 stores its projections as Conv1D weights, (in, out), and
// fuses q, k and v into one c_attn. Both directions copy values exactly (no arithmetic), so a
// model exported and imported again is bit-identical.
#include <map>
#include <string>

#include "hf/architecture.h"
#include "io/safetensors.h"
#include "nn/module.h"

namespace sinklab::hf {

// The model's parameters, under the architecture's names and layouts, in Hugging Face's order.
io::TensorList to_hf(const nn::NamedTensors& params, const nn::ModelConfig& model, Architecture arch);

// Copies a checkpoint's tensors (float32) into the model's parameters `params`, every one of them.
// A learned position table longer than the model's context is cut to it. `tensors` is consumed
// tensor by tensor, so the weights are held about once beside the model. Errors name `where` and
// the tensor that is missing, of the wrong shape or left over.
void load_from_hf(std::map<std::string, Tensor> tensors, const nn::NamedTensors& params, const nn::ModelConfig& model,
                  Architecture arch, const std::string& where);

}  // namespace sinklab::hf
