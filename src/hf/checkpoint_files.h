#pragma once
// The weight files of a Hugging Face checkpoint folder: model.safetensors, or shards listed by
// model.safetensors.index.json. F16 and BF16 weights are read as float32 (exactly).
#include <filesystem>
#include <map>
#include <string>

#include "io/safetensors.h"

namespace sinklab::hf {

inline constexpr const char* weights_file = "model.safetensors";
inline constexpr const char* weights_index = "model.safetensors.index.json";
inline constexpr const char* config_file = "config.json";

// Every tensor of the folder by name. Errors name the file: no safetensors (a PyTorch .bin only),
// a shard named outside the folder, a tensor the index names but its shard lacks, or one that
// two files hold.
std::map<std::string, Tensor> read_weights(const std::filesystem::path& dir);

// The files read_weights reads (for the import's record of what it read).
std::vector<std::filesystem::path> weight_files(const std::filesystem::path& dir);

// model.safetensors with the metadata transformers looks for ("format": "pt").
void write_weights(const std::filesystem::path& dir, const io::TensorList& tensors);

}  // namespace sinklab::hf
