#include "io/npy.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>
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

Tensor read_npy(const std::filesystem::path& path, int rank) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) fail("{}: missing, or not a regular file", path.string());
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return decode_npy(bytes, path, rank);
}

Tensor decode_npy(std::string_view bytes, const std::filesystem::path& path, int rank) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0 || bytes[6] != 1)
    fail("{}: not a .npy file of format version 1", path.string());
  std::uint16_t len = 0;
  std::memcpy(&len, bytes.data() + 8, 2);
  if (bytes.size() < 10u + len) fail("{}: truncated .npy header", path.string());
  const std::string header(bytes.substr(10, len));
  if (header.find("'descr': '<f4'") == std::string::npos || header.find("'fortran_order': False") == std::string::npos)
    fail("{}: only little-endian float32 C-order arrays are read", path.string());
  const auto key = header.find("'shape': (");
  const auto open = key + 9;  // the '('
  const auto close = key == std::string::npos ? key : header.find(')', open);
  if (close == std::string::npos) fail("{}: .npy header has no shape", path.string());
  // "(2, 3)", "(5,)" or "()": whole numbers, each followed by a comma but the last.
  const std::string dims = header.substr(open + 1, close - open - 1);
  std::vector<std::uint64_t> sizes;
  std::string part;
  for (std::size_t i = 0; i <= dims.size(); ++i) {
    const char c = i < dims.size() ? dims[i] : ',';
    if (c == ' ') continue;
    if (c >= '0' && c <= '9' && part.size() < 19) {
      part += c;
    } else if (c == ',' && !part.empty()) {
      sizes.push_back(std::stoull(part));
      part.clear();
    } else if (!(c == ',' && i == dims.size())) {
      fail("{}: .npy shape '({})' is not a list of sizes", path.string(), dims);
    }
  }
  if (sizes.size() > 8) fail("{}: .npy array has more than 8 axes", path.string());
  if (rank >= 0 && static_cast<int>(sizes.size()) != rank)
    fail("{}: expected a {}-axis array, the file holds {} axes", path.string(), rank, sizes.size());
  // The product is bounded before it is formed (no overflow) and must match the data the file
  // holds before anything is allocated.
  const std::size_t data = 10 + len;
  const std::uint64_t available = (bytes.size() - data) / 4;
  constexpr std::uint64_t max_elements = std::uint64_t{1} << 40;
  bool empty = false;
  std::uint64_t elements = 1;  // of the non-zero sizes
  Shape shape;
  for (const auto n : sizes) {
    empty = empty || n == 0;
    if (n > 0 && elements > max_elements / n) fail("{}: .npy shape '({})' is implausibly large", path.string(), dims);
    elements *= std::max<std::uint64_t>(n, 1);
    shape.push_back(static_cast<std::int64_t>(n));
  }
  const std::uint64_t need = empty ? 0 : elements;
  if (need != available || (bytes.size() - data) % 4 != 0)
    fail("{}: .npy data is {} bytes, which does not match its shape ({})", path.string(), bytes.size() - data, dims);
  Tensor t = Tensor::empty(shape, DType::f32);
  std::memcpy(t.raw_data(), bytes.data() + data, need * 4);
  return t;
}

}  // namespace sinklab::io
