#include "io/json_parse.h"

#include "engine/error.h"

namespace sinklab::io {

nlohmann::json parse_json(std::string_view text, const std::string& origin) {
  // `depth` counts the containers around the value being opened; the check runs before the
  // parser goes a level deeper.
  return nlohmann::json::parse(text, [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth >= max_json_depth) fail("{}: JSON nested more than {} levels deep (corrupted)", origin, max_json_depth);
    return true;
  });
}

}  // namespace sinklab::io
