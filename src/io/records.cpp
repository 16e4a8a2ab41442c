#include "io/records.h"

#include <algorithm>
#include <fstream>

#include "io/atomic_file.h"
#include <nlohmann/json.hpp>
#include <string>

namespace sinklab::io {

void keep_records_until(const std::filesystem::path& file, std::int64_t keep_until, RecordFormat format) {
  if (!std::filesystem::exists(file)) return;
  std::ifstream in(file);
  std::string line, kept;
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
    if (format == RecordFormat::csv && std::count(line.begin(), line.end(), ',') != columns) continue;  // cut short by a crash
    std::int64_t step = 0;
    try {
      step = format == RecordFormat::csv ? std::stoll(line.substr(0, line.find(',')))
                                         : nlohmann::json::parse(line).at("step").get<std::int64_t>();
    } catch (const std::exception&) {
      continue;  // a half-written last line from a crash
    }
    if (step <= keep_until) kept += line + "\n";
  }
  in.close();
  write_file_atomic(file, kept);
}

}  // namespace sinklab::io
