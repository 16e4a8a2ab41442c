#include "io/npy.h"

#include <cstring>
#include <fstream>

#include "io/atomic_file.h"

namespace sinklab::io {

void write_npy(const std::filesystem::path& path, const Tensor& t) {
  if (t.dtype() != DType::f32) fail("{}: write_npy takes f32 tensors, got {}", path.string(), dtype_name(t.dtype()));
  // "(2, 3)", but "(5,)" for one axis, as Python writes tuples.
  std::string shape = fmt::format("{}", fmt::join(t.shape(), ", "));
  if (t.dim() == 1) shape += ",";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + shape + "), }";
  // Magic (6) + version (2) + length (2) + header, padded with spaces and a newline to 64 bytes.
  header.append(63 - (10 + header.size()) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  const auto len = static_cast<std::uint16_t>(header.size());
  out.append(reinterpret_cast<const char*>(&len), 2);
  out += header;
  const Tensor c = t.is_contiguous() ? t : t.clone();
  out.append(static_cast<const char*>(c.raw_data()), static_cast<std::size_t>(c.numel()) * 4);
  write_file_atomic(path, out);
}

Tensor read_npy(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) fail("{}: not a .npy file", path.string());
  std::uint16_t len = 0;
  std::memcpy(&len, bytes.data() + 8, 2);
  const std::string header = bytes.substr(10, len);
  if (header.find("'<f4'") == std::string::npos || header.find("'fortran_order': False") == std::string::npos)
    fail("{}: only little-endian float32 C-order arrays are read", path.string());
  const auto open = header.find('('), close = header.find(')');
  Shape shape;
  std::string dims = header.substr(open + 1, close - open - 1);
  for (std::size_t at = 0; at < dims.size();) {
    const auto comma = dims.find(',', at);
    const std::string part = dims.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (part.find_first_of("0123456789") != std::string::npos) shape.push_back(std::stoll(part));
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  Tensor t = Tensor::empty(shape, DType::f32);
  const std::size_t data = 10 + len, need = static_cast<std::size_t>(t.numel()) * 4;
  if (bytes.size() < data + need) fail("{}: truncated .npy file", path.string());
  std::memcpy(t.raw_data(), bytes.data() + data, need);
  return t;
}

}  // namespace sinklab::io
