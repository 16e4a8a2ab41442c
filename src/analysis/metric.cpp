#include "analysis/metric.h"

#include "engine/error.h"

namespace sinklab::analysis {
namespace {

Json::json_pointer pointer(const Field& field) { return Json::json_pointer("/" + std::string(field.key)); }

}  // namespace

void Record::set(const Field& field, Json value) { json_[pointer(field)] = std::move(value); }

bool Record::has(const Field& field) const { return json_.contains(pointer(field)); }

const Json& Record::get(const Field& field) const {
  if (!has(field)) fail("analysis: field '{}' is read before a metric set it", field.key);
  return json_.at(pointer(field));
}

}  // namespace sinklab::analysis
