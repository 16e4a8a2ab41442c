#pragma once
// The table of analysis metrics: what the recorder runs, in the order their fields appear in a
// record; analysis.csv's columns, docs/metrics.md's field list and compare's plots and summary
// columns all come from the fields the metrics declare.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analysis/metric.h"

namespace sinklab::analysis {

const std::vector<std::unique_ptr<Metric>>& metrics();

// Every field a record may hold, in record order: step and tokens, the metrics' fields, snapshot.
const std::vector<const Field*>& record_fields();

// The analysis.csv columns of a record: step, tokens and each field with a csv name that the
// record holds, in record order (a per-ε field gives one column per threshold, a labels field one
// count per label).
std::vector<std::pair<std::string, double>> csv_columns(const Json& record);

// The line a person watching training sees: "sink rate 0.1:0.000 0.3:0.000 | max sink score 0.076 |
// 0 switch heads".
std::string headline(const Json& record);

// The probe shape a record was analysed at, or nullopt for records from before it was recorded;
// records from before the key mask was recorded read as `mask_if_unrecorded`.
std::optional<ProbeShape> recorded_probe(const Json& record, ops::KeyMask mask_if_unrecorded = ops::KeyMask::causal);

// How the headline sink statistics moved between two records (the first and last analyses of a
// run), each beside its value under uniform attention at the probe's length.
std::string emergence_table(const Json& first, const Json& last);

// docs/metrics.md's field table (`sinklab metrics` prints it).
std::string fields_markdown();

}  // namespace sinklab::analysis
