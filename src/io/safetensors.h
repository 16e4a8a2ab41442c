#pragma once
// The safetensors format (8-byte little-endian header length, JSON header, raw little-endian
// data), so weights load in PyTorch with safetensors.torch.load_file.
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
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
// Errors name the file and what is wrong (truncated, bad header, unknown dtype, shapes whose size
// does not match their offsets, offsets out of range or overlapping); nothing is allocated
// before the header has been checked against the file's size.
SafetensorsFile read_safetensors(const std::filesystem::path& path);
// The same on a file already in memory; `path` names it in errors.
SafetensorsFile decode_safetensors(std::string_view bytes, const std::filesystem::path& path);

}  // namespace sinklab::io
