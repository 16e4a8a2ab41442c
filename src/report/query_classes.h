#pragma once
// The synthetic-task table of a comparison: per run, how each head handles the queries that need
// no attention (sink / diagonal / sink-logit / other, docs/metrics.md), where those queries and
// the ones that need attention look, the representation costs, and the loss of each class.
#include <string>
#include <vector>

#include "report/runs.h"

namespace sinklab::report {

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  nlohmann::json records = nlohmann::json::array();  // the same numbers, for query_classes.json
};

// Empty when no run has by-class analysis (not a synthetic task).
Table query_class_table(const Collection& runs);

std::string markdown_table(const Table& table);
std::string html_table(const Table& table);

}  // namespace sinklab::report
