#pragma once
// A tokenized data split on disk, memory-mapped for reading.
//
// Layout (little-endian): magic "SINKTOK1"; u32 version = 1; u32 bytes per token (2 or 4);
// u64 vocab size; u64 documents; u64 tokens; 64-byte tokenizer key; 64-byte sha256 (hex) of the
// source text; then u64 document offsets [documents + 1]; then the tokens. Documents of text end
// with EOS; random data (data.name: random) has none.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sinklab::data {

struct TokenFileHeader {
  std::uint64_t vocab_size = 0, documents = 0, tokens = 0;
  std::string tokenizer_key, source_sha256;
};

void write_token_file(const std::filesystem::path& path, const TokenFileHeader& header,
                      const std::vector<std::uint64_t>& offsets, const std::vector<std::int32_t>& tokens);

class TokenFile {
 public:
  explicit TokenFile(const std::filesystem::path& path);  // errors name the file if malformed
  ~TokenFile();
  TokenFile(const TokenFile&) = delete;
  TokenFile& operator=(const TokenFile&) = delete;

  const TokenFileHeader& header() const { return header_; }
  std::uint64_t documents() const { return header_.documents; }
  std::uint64_t tokens() const { return header_.tokens; }
  std::uint64_t doc_begin(std::uint64_t d) const { return offsets_[d]; }
  std::uint64_t doc_end(std::uint64_t d) const { return offsets_[d + 1]; }
  std::int32_t token(std::uint64_t i) const {
    return width_ == 2 ? reinterpret_cast<const std::uint16_t*>(data_)[i] : reinterpret_cast<const std::int32_t*>(data_)[i];
  }

 private:
  TokenFileHeader header_;
  void* map_ = nullptr;
  std::size_t map_size_ = 0;
  const std::uint64_t* offsets_ = nullptr;
  const void* data_ = nullptr;
  std::uint32_t width_ = 2;
};

}  // namespace sinklab::data
