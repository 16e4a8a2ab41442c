#pragma once
// The two Hugging Face architectures sinklab reads and writes, and their config.json: GPT-2
// (GPT2LMHeadModel: LayerNorm, learned positions, tanh GELU, biases) and the Llama family
// (LlamaForCausalLM: RMSNorm, RoPE, SwiGLU, grouped-query attention). A setting sinklab cannot
// reproduce exactly is refused by name, never approximated.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nn/model_config.h"

namespace sinklab::hf {

enum class Architecture { gpt2, llama };

// The model class, as in config.json's "architectures": "GPT2LMHeadModel", "LlamaForCausalLM".
const char* class_name(Architecture arch);

struct HfConfig {
  Architecture arch;
  nn::ModelConfig model;  // vocab_size and context filled in
  // Settings that do not change the function sinklab computes (dropout rates), said at import.
  std::vector<std::string> notes;
};

// A checkpoint folder's config.json. Errors name the file and the field.
HfConfig read_config(const std::filesystem::path& file);

// The architecture a sinklab model is written as; an error names the first model key whose value
// neither architecture has.
Architecture architecture_of(const nn::ModelConfig& model);

// config.json for `model` (its vocab_size and context included), with the tokenizer's BOS and EOS.
nlohmann::json config_json(const nn::ModelConfig& model, Architecture arch, std::int32_t bos, std::int32_t eos);

}  // namespace sinklab::hf
