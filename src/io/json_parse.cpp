#include "io/json_parse.h"

#include <fstream>

#include "engine/error.h"

namespace sinklab::io {

nlohmann::json parse_json(std::string_view text, const std::string& origin) {
  // `depth` counts the containers around the value being opened; the check runs before the
  // parser goes a level deeper.
  return nlohmann::json::parse(text, [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth >= max_json_depth) fail("{}: JSON nested more than {} levels deep (corrupted)", origin, max_json_depth);
    return true;
  });
}

nlohmann::json read_json_file(const std::filesystem::path& file, const std::string& what) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail("{}: cannot read {}", file.string(), what);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    return parse_json(text, file.string());
  } catch (const nlohmann::json::exception& e) {
    fail("{}: not valid JSON ({})", file.string(), e.what());
  }
}

}  // namespace sinklab::io
