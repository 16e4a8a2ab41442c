#include "fuzz_support.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "engine/error.h"

namespace sinklab::fuzz {

namespace fs = std::filesystem;

namespace {

struct Scratch {
  fs::path path;
  Scratch() {
    std::string pattern = (fs::temp_directory_path() / "sinklab-fuzz-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror(("fuzz: cannot make a folder " + pattern).c_str());
      std::abort();
    }
    path = pattern;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

const fs::path& scratch() {
  static const Scratch folder;
  return folder.path;
}

void write_bytes(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
}

std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

Parts split(std::string_view input) {
  const auto at = input.find(separator);
  if (at == std::string_view::npos) return {input, std::nullopt};
  return {input.substr(0, at), input.substr(at + separator.size())};
}

void expect_clean(const std::function<void()>& load, std::initializer_list<std::string> names) {
  static const bool echo = std::getenv("SINKLAB_FUZZ_ECHO") != nullptr;
  try {
    load();
    if (echo) std::fprintf(stderr, "accepted\n");
  } catch (const Error& e) {
    if (echo) std::fprintf(stderr, "error: %s\n", e.what());
    const std::string message = e.what();
    for (const auto& name : names)
      if (message.find(name) != std::string::npos) return;
    std::fprintf(stderr, "fuzz: the error names none of the files given to the loader:\n%s\n", e.what());
    std::abort();
  }
}

}  // namespace sinklab::fuzz
