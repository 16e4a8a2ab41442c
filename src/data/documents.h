#pragma once
// Splitting a data file into documents, by format. The returned views point into `text`.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace sinklab::data {

enum class TextFormat { tinystories, wikitext, plain };

// Reads a whole data file; errors name the file if it is missing, empty or not UTF-8
// (with the line of the first bad byte).
std::string read_text_file(const std::filesystem::path& path);

// tinystories: stories separated by a line "<|endoftext|>". wikitext: articles start at a
// top-level heading line " = Title = ". plain: blocks separated by blank lines.
// Documents are trimmed of surrounding whitespace; empty ones are dropped.
std::vector<std::string_view> split_documents(std::string_view text, TextFormat format);

}  // namespace sinklab::data
