#pragma once
// The safetensors format (8-byte little-endian header length, JSON header, raw little-endian
// data), so weights load in PyTorch with safetensors.torch.load_file.
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.h"

namespace sinklab::io {

using TensorList = std::vector<std::pair<std::string, Tensor>>;

struct SafetensorsFile {
  TensorList tensors;  // in file order
  std::map<std::string, std::string> metadata;

  const Tensor& get(const std::string& name) const;  // error names the file's tensors
  std::filesystem::path path;
};

std::string encode_safetensors(const TensorList& tensors, const std::map<std::string, std::string>& metadata = {});
void write_safetensors(const std::filesystem::path& path, const TensorList& tensors,
                       const std::map<std::string, std::string>& metadata = {});  // atomic
// Errors name the file and what is wrong (truncated, bad header, offsets out of range).
SafetensorsFile read_safetensors(const std::filesystem::path& path);

}  // namespace sinklab::io
