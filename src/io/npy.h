#pragma once
// NumPy .npy files (format version 1.0, little-endian float32, C order), so numpy.load reads
// what sinklab writes.
#include <filesystem>

#include "engine/tensor.h"

namespace sinklab::io {

void write_npy(const std::filesystem::path& path, const Tensor& t);  // f32; atomic
Tensor read_npy(const std::filesystem::path& path);                  // f32 written by write_npy or numpy

}  // namespace sinklab::io
