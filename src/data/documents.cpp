#include "data/documents.h"

#include <algorithm>
#include <fstream>

#include "engine/error.h"
#include "engine/memory.h"

namespace sinklab::data {
namespace {

// Offset of the first byte that breaks UTF-8, or npos.
std::size_t first_invalid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : 99;
    if (extra == 99 || (extra == 1 && c < 0xC2) || i + extra >= s.size() + (extra == 0 ? 1 : 0)) return i;
    for (std::size_t k = 1; k <= extra; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return i;
    i += extra + 1;
  }
  return std::string_view::npos;
}

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

bool is_article_heading(std::string_view line) {
  // " = Title = " but not a section heading " = = Section = = ".
  return line.size() > 6 && line.starts_with(" = ") && line.ends_with(" = ") && !line.starts_with(" = = ");
}

}  // namespace

std::string read_text_file(const std::filesystem::path& path) {
  // Regular files only (a device such as /dev/zero never ends), and no larger than the memory
  // that is free to hold them.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) fail("{}: data file not found, or not a regular file", path.string());
  const auto size = std::filesystem::file_size(path, ec);
  const auto free = available_memory();
  if (!ec && free && size > *free / 2)
    fail("{}: data file is {:.3g} GB, more than half the memory available ({:.3g} GB)", path.string(), static_cast<double>(size) / 1e9,
         static_cast<double>(*free) / 1e9);
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: data file not found or unreadable", path.string());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.empty()) fail("{}: data file is empty", path.string());
  const std::size_t bad = first_invalid_utf8(text);
  if (bad != std::string::npos) {
    const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(bad), '\n');
    fail("{}:{}: data file is not UTF-8 (byte 0x{:02x} at offset {})", path.string(), line, static_cast<unsigned char>(text[bad]), bad);
  }
  return text;
}

std::vector<std::string_view> split_documents(std::string_view text, TextFormat format) {
  std::vector<std::string_view> docs;
  auto add = [&](std::string_view d) {
    d = trim(d);
    if (!d.empty()) docs.push_back(d);
  };
  if (format == TextFormat::tinystories) {
    constexpr std::string_view sep = "<|endoftext|>";
    std::size_t start = 0;
    for (std::size_t at; (at = text.find(sep, start)) != std::string_view::npos; start = at + sep.size()) add(text.substr(start, at - start));
    add(text.substr(start));
  } else if (format == TextFormat::wikitext) {
    std::size_t doc_start = 0;
    for (std::size_t pos = 0; pos < text.size();) {
      std::size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      if (is_article_heading(text.substr(pos, end - pos)) && pos > doc_start) {
        add(text.substr(doc_start, pos - doc_start));
        doc_start = pos;
      }
      pos = end + 1;
    }
    add(text.substr(doc_start));
  } else {
    std::size_t start = 0;
    for (std::size_t at; (at = text.find("\n\n", start)) != std::string_view::npos; start = at + 2) add(text.substr(start, at - start));
    add(text.substr(start));
  }
  return docs;
}

}  // namespace sinklab::data
