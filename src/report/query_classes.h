#pragma once
// The synthetic-task table of a comparison: per run, how each head handles the queries that need
// no attention (sink / diagonal / sink-logit / other, docs/metrics.md), where those queries and
// the ones that need attention look, the representation costs, and the loss of each class.
#include <string>
#include <vector>

#include "report/runs.h"
#include "report/table.h"

namespace sinklab::report {

// Empty when no run has by-class analysis (not a synthetic task).
Table query_class_table(const Collection& runs);

}  // namespace sinklab::report
