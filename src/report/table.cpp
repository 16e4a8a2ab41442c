#include "report/table.h"

namespace sinklab::report {

std::string markdown_table(const Table& t) {
  if (t.rows.empty()) return "";
  std::string md = "|";
  for (const auto& h : t.header) md += " " + h + " |";
  md += "\n|";
  for (std::size_t i = 0; i < t.header.size(); ++i) md += "---|";
  md += "\n";
  for (const auto& row : t.rows) {
    md += "|";
    for (const auto& cell : row) md += " " + cell + " |";
    md += "\n";
  }
  return md;
}

std::string html_table(const Table& t) {
  if (t.rows.empty()) return "";
  std::string html = "<table><tr>";
  for (const auto& h : t.header) html += "<th>" + html_escape(h) + "</th>";
  html += "</tr>\n";
  for (const auto& row : t.rows) {
    html += "<tr>";
    for (const auto& cell : row) html += "<td>" + html_escape(cell) + "</td>";
    html += "</tr>\n";
  }
  return html + "</table>\n";
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : c == '\'' ? "&#39;" : std::string(1, c);
  return out;
}

}  // namespace sinklab::report
