#pragma once
// JSON as sinklab reads it from files, with its nesting bounded: nlohmann parses without
// recursion, but its dump and copies recurse once per level, so a file of a million '[' would
// overflow the stack as soon as an error quotes a value or a record is copied. sinklab's own
// files nest at most 4 levels.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace sinklab::io {

inline constexpr int max_json_depth = 64;

// nlohmann's parse errors pass through (callers word them); a document nested deeper than
// max_json_depth is an Error naming `origin` (the file, and the line of a JSON Lines file).
nlohmann::json parse_json(std::string_view text, const std::string& origin);

// A whole JSON file; a file that cannot be read or is not valid JSON is an Error naming it and
// saying what it is (`what`: "the tokenizer file", "the checkpoint's config").
nlohmann::json read_json_file(const std::filesystem::path& file, const std::string& what);

}  // namespace sinklab::io
