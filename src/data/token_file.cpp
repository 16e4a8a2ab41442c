#include "data/token_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "engine/error.h"
#include "io/atomic_file.h"

namespace sinklab::data {
namespace {

constexpr char magic[8] = {'S', 'I', 'N', 'K', 'T', 'O', 'K', '1'};
constexpr std::size_t header_bytes = 8 + 4 + 4 + 8 * 3 + 64 + 64;

template <class T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

void put_fixed(std::string& out, const std::string& s) {
  std::string field = s.substr(0, 64);
  field.resize(64, '\0');
  out += field;
}

}  // namespace

void write_token_file(const std::filesystem::path& path, const TokenFileHeader& h, const std::vector<std::uint64_t>& offsets,
                      const std::vector<std::int32_t>& tokens) {
  const std::uint32_t width = h.vocab_size <= 65536 ? 2 : 4;
  std::string out;
  out.reserve(header_bytes + offsets.size() * 8 + tokens.size() * width);
  out.append(magic, 8);
  put<std::uint32_t>(out, 1);
  put<std::uint32_t>(out, width);
  put<std::uint64_t>(out, h.vocab_size);
  put<std::uint64_t>(out, h.documents);
  put<std::uint64_t>(out, h.tokens);
  put_fixed(out, h.tokenizer_key);
  put_fixed(out, h.source_sha256);
  for (auto o : offsets) put<std::uint64_t>(out, o);
  for (auto t : tokens) {
    if (width == 2) put<std::uint16_t>(out, static_cast<std::uint16_t>(t));
    else put<std::int32_t>(out, t);
  }
  io::write_file_atomic(path, out);
}

TokenFile::TokenFile(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) fail("{}: cannot open token file", path.string());
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail("{}: cannot read token file (missing, or not a regular file)", path.string());
  }
  map_size_ = static_cast<std::size_t>(st.st_size);
  if (map_size_ < header_bytes) {
    ::close(fd);
    fail("{}: token file is truncated", path.string());
  }
  map_ = ::mmap(nullptr, map_size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map_ == MAP_FAILED) fail("{}: cannot map token file", path.string());
  const char* p = static_cast<const char*>(map_);
  std::uint32_t version = 0;
  std::memcpy(&version, p + 8, 4);
  std::memcpy(&width_, p + 12, 4);
  std::memcpy(&header_.vocab_size, p + 16, 8);
  std::memcpy(&header_.documents, p + 24, 8);
  std::memcpy(&header_.tokens, p + 32, 8);
  header_.tokenizer_key = std::string(p + 40, strnlen(p + 40, 64));
  header_.source_sha256 = std::string(p + 104, strnlen(p + 104, 64));
  // Sizes checked before they are multiplied, so a corrupted header cannot overflow the check.
  const bool sane = header_.documents < map_size_ && header_.tokens < map_size_;
  const std::size_t expected = sane ? header_bytes + (header_.documents + 1) * 8 + header_.tokens * width_ : 0;
  if (std::memcmp(p, magic, 8) != 0 || version != 1 || (width_ != 2 && width_ != 4) || expected != map_size_) {
    ::munmap(map_, map_size_);
    map_ = nullptr;
    fail("{}: not a sinklab token file, or truncated (delete it to re-tokenize)", path.string());
  }
  offsets_ = reinterpret_cast<const std::uint64_t*>(p + header_bytes);
  data_ = p + header_bytes + (header_.documents + 1) * 8;
  bool ordered = offsets_[0] == 0 && offsets_[header_.documents] == header_.tokens;
  for (std::uint64_t d = 0; ordered && d < header_.documents; ++d) ordered = offsets_[d] <= offsets_[d + 1];
  // Every id inside the vocabulary: an id past it would index past the embedding table.
  bool in_range = header_.vocab_size >= 1 && header_.vocab_size <= (std::uint64_t{1} << 31);
  for (std::uint64_t i = 0; ordered && in_range && i < header_.tokens; ++i)
    in_range = static_cast<std::uint64_t>(static_cast<std::uint32_t>(token(i))) < header_.vocab_size;
  if (!ordered || !in_range) {
    ::munmap(map_, map_size_);
    map_ = nullptr;
    fail("{}: corrupted token file ({}; delete it to re-tokenize)", path.string(),
         ordered ? "a token id outside its vocabulary" : "document offsets out of order");
  }
}

TokenFile::~TokenFile() {
  if (map_ != nullptr) ::munmap(map_, map_size_);
}

}  // namespace sinklab::data
