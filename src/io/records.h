#pragma once
// Line-per-record logs (JSON Lines, or CSV with a header) that a resumed run cuts back to the
// checkpoint it restarts from.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

namespace sinklab::io {

enum class RecordFormat { jsonl, csv };

// Keeps the records whose "step" (JSON field, or first CSV column) is <= keep_until, the CSV
// header, and drops a half-written last line.
void keep_records_until(const std::filesystem::path& file, std::int64_t keep_until, RecordFormat format);

struct JsonRecord {
  std::size_t line;  // 1-based, for errors
  nlohmann::json value;
};

// The records of a JSON Lines file in order (none when the file does not exist). A last line
// without its newline that does not parse was cut short by a crash and is left out; any other line
// that is not a JSON object is an error naming the file and the line.
std::vector<JsonRecord> read_jsonl(const std::filesystem::path& file);

}  // namespace sinklab::io
