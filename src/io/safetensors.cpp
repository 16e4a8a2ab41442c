#include "io/safetensors.h"

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "io/atomic_file.h"

namespace sinklab::io {
namespace {

std::string dtype_code(DType d) {
  switch (d) {
    case DType::f32: return "F32";
    case DType::f64: return "F64";
    case DType::i32: return "I32";
  }
  return "?";
}

DType dtype_from_code(const std::string& code, const std::filesystem::path& path, const std::string& name) {
  if (code == "F32") return DType::f32;
  if (code == "F64") return DType::f64;
  if (code == "I32") return DType::i32;
  fail("{}: tensor '{}' has dtype {}, which sinklab does not read (F32, F64, I32)", path.string(), name, code);
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
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open", path.string());
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::uint64_t>(in.tellg());
  in.seekg(0);
  std::uint64_t header_len = 0;
  if (size < 8 || !in.read(reinterpret_cast<char*>(&header_len), 8))
    fail("{}: truncated ({} bytes, no safetensors header)", path.string(), size);
  if (header_len > size - 8) fail("{}: truncated or corrupted (header says {} bytes, file has {})", path.string(), header_len, size);
  std::string header_text(header_len, '\0');
  in.read(header_text.data(), static_cast<std::streamsize>(header_len));
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(header_text);
  } catch (const std::exception& e) {
    fail("{}: corrupted safetensors header ({})", path.string(), e.what());
  }
  const std::uint64_t data_size = size - 8 - header_len;
  SafetensorsFile file;
  file.path = path;
  std::vector<std::tuple<std::uint64_t, std::string, Tensor>> ordered;
  try {
    for (const auto& [name, entry] : header.items()) {
      if (name == "__metadata__") {
        for (const auto& [k, v] : entry.items()) file.metadata[k] = v.get<std::string>();
        continue;
      }
      const DType dt = dtype_from_code(entry.at("dtype").get<std::string>(), path, name);
      const Shape shape = entry.at("shape").get<Shape>();
      const auto offsets = entry.at("data_offsets").get<std::vector<std::uint64_t>>();
      const std::uint64_t bytes = static_cast<std::uint64_t>(numel(shape)) * dtype_size(dt);
      if (offsets.size() != 2 || offsets[1] < offsets[0] || offsets[1] > data_size || offsets[1] - offsets[0] != bytes)
        fail("{}: tensor '{}' has data offsets outside the file or of the wrong size (truncated or corrupted)", path.string(), name);
      Tensor t = Tensor::empty(shape, dt);
      in.seekg(static_cast<std::streamoff>(8 + header_len + offsets[0]));
      if (!in.read(static_cast<char*>(t.raw_data()), static_cast<std::streamsize>(bytes)))
        fail("{}: could not read tensor '{}' (truncated)", path.string(), name);
      ordered.emplace_back(offsets[0], name, t);
    }
  } catch (const nlohmann::json::exception& e) {
    fail("{}: corrupted safetensors header ({})", path.string(), e.what());
  }
  std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
  for (auto& [off, name, t] : ordered) file.tensors.emplace_back(name, t);
  return file;
}

}  // namespace sinklab::io
