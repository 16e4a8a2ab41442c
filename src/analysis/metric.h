#pragma once
// An analysis metric: one unit that declares its record fields (analysis/field.h) and computes
// them from one probe pass. The metrics of analysis/registry.cpp run in order; a metric may read
// the fields an earlier one set (head classes read the value-norm ratios, say).
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/field.h"
#include "analysis/probe_pass.h"

namespace sinklab::analysis {

using Json = nlohmann::ordered_json;

// An analysis record under construction: fields in the order they are set.
class Record {
 public:
  void set(const Field& field, Json value);
  bool has(const Field& field) const;
  const Json& get(const Field& field) const;  // a field set earlier; an error names it otherwise
  Json& json() { return json_; }
  const Json& json() const { return json_; }

 private:
  Json json_ = Json::object();
};

// The value of a field in a record read back from a file (nullptr when absent).
template <class J>
const J* find(const J& record, const Field& field) {
  const typename J::json_pointer at("/" + std::string(field.key));
  return record.contains(at) ? &record.at(at) : nullptr;
}

class Metric {
 public:
  virtual ~Metric() = default;
  virtual std::string_view name() const = 0;
  // Every field the metric may set, in the order it sets them (some only for some models).
  virtual std::vector<const Field*> fields() const = 0;
  virtual void compute(const ProbePass& pass, Record& record) const = 0;
};

}  // namespace sinklab::analysis
