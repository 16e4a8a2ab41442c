#include "io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "io/atomic_file.h"
#include "io/json_parse.h"

namespace sinklab::io {
namespace {

constexpr std::uint64_t max_elements = std::uint64_t{1} << 40;  // per tensor; 4 TB of float32

std::string dtype_code(DType d) {
  switch (d) {
    case DType::f32: return "F32";
    case DType::f64: return "F64";
    case DType::i32: return "I32";
  }
  return "?";
}

// How a tensor is stored: its dtype in memory, and the half-precision format it is widened from
// (checkpoints published in F16 or BF16 are read as float32, exactly).
enum class Half { none, f16, bf16 };
struct Stored {
  DType dtype;
  Half half = Half::none;
  std::uint64_t element_bytes() const { return half == Half::none ? dtype_size(dtype) : 2; }
};

Stored dtype_from_code(const std::string& code, const std::filesystem::path& path, const std::string& name) {
  if (code == "F32") return {DType::f32};
  if (code == "F64") return {DType::f64};
  if (code == "I32") return {DType::i32};
  if (code == "F16") return {DType::f32, Half::f16};
  if (code == "BF16") return {DType::f32, Half::bf16};
  fail("{}: tensor '{}' has dtype {}, which sinklab does not read (F32, F64, I32; F16 and BF16 read as F32)", path.string(), name, code);
}

void widen(const char* from, std::uint64_t count, Half half, float* to) {
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint16_t bits;
    std::memcpy(&bits, from + 2 * i, 2);
    to[i] = half == Half::f16 ? static_cast<float>(Eigen::numext::bit_cast<Eigen::half>(bits))
                              : static_cast<float>(Eigen::numext::bit_cast<Eigen::bfloat16>(bits));
  }
}

}  // namespace

const Tensor& SafetensorsFile::get(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return t;
  fail("{}: no tensor named '{}' ({} tensors in the file)", path.string(), name, tensors.size());
}

std::string encode_safetensors(const TensorList& tensors, const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header;
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::size_t offset = 0;
  std::vector<Tensor> contiguous;
  for (const auto& [name, t] : tensors) {
    Tensor c = t.is_contiguous() ? t : t.clone();
    const std::size_t bytes = static_cast<std::size_t>(c.numel()) * dtype_size(c.dtype());
    header[name] = {{"dtype", dtype_code(c.dtype())}, {"shape", c.shape()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    contiguous.push_back(c);
  }
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  const std::uint64_t n = h.size();
  std::memcpy(out.data(), &n, 8);  // x86-64 is little-endian, as the format asks
  out += h;
  for (const auto& c : contiguous)
    out.append(static_cast<const char*>(c.raw_data()), static_cast<std::size_t>(c.numel()) * dtype_size(c.dtype()));
  return out;
}

void write_safetensors(const std::filesystem::path& path, const TensorList& tensors,
                       const std::map<std::string, std::string>& metadata) {
  write_file_atomic(path, encode_safetensors(tensors, metadata));
}

SafetensorsFile read_safetensors(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) fail("{}: missing, or not a regular file", path.string());
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open", path.string());
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return decode_safetensors(bytes, path);
}

SafetensorsFile decode_safetensors(std::string_view bytes, const std::filesystem::path& path) {
  const std::uint64_t size = bytes.size();
  std::uint64_t header_len = 0;
  if (size < 8) fail("{}: truncated ({} bytes, no safetensors header)", path.string(), size);
  std::memcpy(&header_len, bytes.data(), 8);
  if (header_len > size - 8) fail("{}: truncated or corrupted (header says {} bytes, file has {})", path.string(), header_len, size);
  nlohmann::json header;
  try {
    header = parse_json(bytes.substr(8, header_len), path.string());
  } catch (const nlohmann::json::exception& e) {
    fail("{}: corrupted safetensors header ({})", path.string(), e.what());
  }
  if (!header.is_object()) fail("{}: corrupted safetensors header (not a JSON object)", path.string());
  const std::uint64_t data_size = size - 8 - header_len;
  const char* data = bytes.data() + 8 + header_len;
  SafetensorsFile file;
  file.path = path;
  struct Entry {
    std::uint64_t begin, end;
    std::string name;
    Stored stored;
    Shape shape;
  };
  std::vector<Entry> entries;
  try {
    for (const auto& [name, entry] : header.items()) {
      if (name == "__metadata__") {
        for (const auto& [k, v] : entry.items()) file.metadata[k] = v.get<std::string>();
        continue;
      }
      const Stored stored = dtype_from_code(entry.at("dtype").get<std::string>(), path, name);
      const auto& dims = entry.at("shape");
      if (!dims.is_array() || dims.size() > 8) fail("{}: tensor '{}': shape must be a list of at most 8 sizes", path.string(), name);
      // The product is bounded before it is formed (no overflow), and compared with the offsets
      // before anything is allocated.
      Shape shape;
      std::uint64_t elements = 1;
      bool empty = false;
      for (const auto& d : dims) {
        if (!d.is_number_unsigned()) fail("{}: tensor '{}': shape sizes must be whole numbers >= 0", path.string(), name);
        const auto n = d.get<std::uint64_t>();
        if (n > max_elements || (n > 0 && elements > max_elements / n))
          fail("{}: tensor '{}' has an implausibly large shape {} (corrupted)", path.string(), name, dims.dump());
        empty = empty || n == 0;
        elements *= std::max<std::uint64_t>(n, 1);
        shape.push_back(static_cast<std::int64_t>(n));
      }
      const std::uint64_t bytes_needed = empty ? 0 : elements * stored.element_bytes();
      const auto& offsets = entry.at("data_offsets");
      if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned())
        fail("{}: tensor '{}': data_offsets must be two whole numbers", path.string(), name);
      const auto begin = offsets[0].get<std::uint64_t>(), end = offsets[1].get<std::uint64_t>();
      if (end < begin || end > data_size || end - begin != bytes_needed)
        fail("{}: tensor '{}' has data offsets outside the file or of the wrong size (truncated or corrupted)", path.string(), name);
      entries.push_back({begin, end, name, stored, shape});
    }
  } catch (const nlohmann::json::exception& e) {
    fail("{}: corrupted safetensors header ({})", path.string(), e.what());
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.begin < b.begin; });
  for (std::size_t i = 1; i < entries.size(); ++i)
    if (entries[i].begin < entries[i - 1].end)
      fail("{}: tensors '{}' and '{}' overlap in the file (corrupted)", path.string(), entries[i - 1].name, entries[i].name);
  for (const auto& e : entries) {
    Tensor t = Tensor::empty(e.shape, e.stored.dtype);
    if (e.stored.half == Half::none)
      std::memcpy(t.raw_data(), data + e.begin, e.end - e.begin);
    else
      widen(data + e.begin, (e.end - e.begin) / 2, e.stored.half, t.data<float>());
    file.tensors.emplace_back(e.name, t);
  }
  return file;
}

}  // namespace sinklab::io
