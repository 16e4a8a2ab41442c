#include "io/records.h"

#include <algorithm>
#include <fstream>

#include "engine/error.h"
#include "io/atomic_file.h"
#include "io/json_parse.h"
#include <string>

namespace sinklab::io {

void keep_records_until(const std::filesystem::path& file, std::int64_t keep_until, RecordFormat format) {
  if (!std::filesystem::exists(file)) return;
  std::ifstream in(file);
  std::string line, kept;
  bool changed = false;
  bool header = format == RecordFormat::csv;
  long columns = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (header) {
      kept += line + "\n";
      columns = std::count(line.begin(), line.end(), ',');
      header = false;
      continue;
    }
    if (format == RecordFormat::csv && std::count(line.begin(), line.end(), ',') != columns) {
      changed = true;  // cut short by a crash
      continue;
    }
    std::int64_t step = 0;
    try {
      step = format == RecordFormat::csv ? std::stoll(line.substr(0, line.find(',')))
                                         : nlohmann::json::parse(line).at("step").get<std::int64_t>();
    } catch (const std::exception&) {
      changed = true;  // a half-written last line from a crash
      continue;
    }
    if (step <= keep_until) kept += line + "\n";
    else changed = true;
  }
  // Rewritten only when something is dropped (or a last newline is missing).
  in.clear();
  in.seekg(0, std::ios::end);
  changed = changed || static_cast<std::size_t>(in.tellg()) != kept.size();
  in.close();
  if (changed) write_file_atomic(file, kept);
}

std::vector<JsonRecord> read_jsonl(const std::filesystem::path& file) {
  std::vector<JsonRecord> out;
  if (!std::filesystem::exists(file)) return out;
  std::ifstream in(file, std::ios::binary);
  if (!in) fail("{}: cannot read", file.string());
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    const bool cut_short = in.eof();  // no newline after it: the last write did not finish
    try {
      auto value = parse_json(line, fmt::format("{}:{}", file.string(), number));
      if (!value.is_object()) fail("{}:{}: a record must be a JSON object", file.string(), number);
      out.push_back({number, std::move(value)});
    } catch (const nlohmann::json::exception& e) {
      if (cut_short) break;
      fail("{}:{}: not a JSON record ({})", file.string(), number, e.what());
    }
  }
  return out;
}

}  // namespace sinklab::io
