#pragma once
// NumPy .npy files (format version 1.0, little-endian float32, C order), so numpy.load reads
// what sinklab writes.
#include <filesystem>
#include <string_view>

#include "engine/tensor.h"

namespace sinklab::io {

void write_npy(const std::filesystem::path& path, const Tensor& t);  // f32; atomic
// f32, C order, as write_npy or numpy writes it; with rank >= 0 the array must have that many
// axes. The header is checked against the file's size before anything is allocated; errors name
// the file and what is wrong.
Tensor read_npy(const std::filesystem::path& path, int rank = -1);
// The same on a file already in memory; `path` names it in errors.
Tensor decode_npy(std::string_view bytes, const std::filesystem::path& path, int rank = -1);

}  // namespace sinklab::io
