#pragma once
// A table of a report, rendered as Markdown (report.md) and as HTML (report.html) from the same
// cells, with the numbers behind it kept for the report's JSON files.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sinklab::report {

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  nlohmann::json records = nlohmann::json::array();  // one object per row, with the unformatted numbers
};

std::string markdown_table(const Table& table);
std::string html_table(const Table& table);

// Text made safe for HTML.
std::string html_escape(const std::string& text);

}  // namespace sinklab::report
