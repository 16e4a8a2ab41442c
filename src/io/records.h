#pragma once
// Line-per-record logs (JSON Lines, or CSV with a header) that a resumed run cuts back to the
// checkpoint it restarts from.
#include <cstdint>
#include <filesystem>

namespace sinklab::io {

enum class RecordFormat { jsonl, csv };

// Keeps the records whose "step" (JSON field, or first CSV column) is <= keep_until, the CSV
// header, and drops a half-written last line.
void keep_records_until(const std::filesystem::path& file, std::int64_t keep_until, RecordFormat format);

}  // namespace sinklab::io
