// JSON nested without bound in the files sinklab reads (found while fuzzing the loaders,
// tests/fuzz): nlohmann parses such a document, but quoting or copying a value recurses once per
// level, and 400,000 levels overflowed the stack. Each loader now refuses it, naming the file
// (checkpoint state: tests/train/checkpoint_test.cpp; compare's records: tests/report).
#include <gtest/gtest.h>

#include <cstring>

#include "engine/error.h"
#include "io/json_parse.h"
#include "io/records.h"
#include "io/safetensors.h"
#include "support/temp_dir.h"

namespace sinklab::testing {
namespace {

std::string nested(int levels) { return std::string(levels, '[') + std::string(levels, ']'); }

template <class F>
std::string error_of(F load) {
  try {
    load();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(JsonNesting, ParseJsonTakesSinklabsDepthsAndRefusesDeeper) {
  EXPECT_EQ(io::parse_json(R"({"a": [[1, {"b": [2]}]]})", "f").at("a")[0][1].at("b")[0], 2);
  EXPECT_EQ(io::parse_json(nested(io::max_json_depth), "f").dump().size(), 2u * io::max_json_depth);
  EXPECT_EQ(error_of([] { io::parse_json(nested(io::max_json_depth + 1), "f.json"); }),
            "f.json: JSON nested more than 64 levels deep (corrupted)");
}

// fuzz_safetensors: the error for an implausible shape quoted the whole shape.
TEST(JsonNesting, SafetensorsHeader) {
  const std::string header = R"({"a":{"dtype":"F32","shape":[99999999999999,)" + nested(400000) + R"(],"data_offsets":[0,8]}})";
  std::string bytes(8, '\0');
  const std::uint64_t length = header.size();
  std::memcpy(bytes.data(), &length, 8);
  bytes += header + std::string(8, '\0');
  EXPECT_EQ(error_of([&] { io::decode_safetensors(bytes, "w.safetensors"); }),
            "w.safetensors: JSON nested more than 64 levels deep (corrupted)");
}

// fuzz_records: collect_runs copied the newest metrics record with a val_loss.
TEST(JsonNesting, JsonLinesRecord) {
  TempDir dir;
  write_file(dir / "metrics.jsonl", "{\"step\": 1}\n{\"step\": 2, \"x\": " + nested(400000) + "}\n");
  EXPECT_NE(error_of([&] { io::read_jsonl(dir / "metrics.jsonl"); }).find("metrics.jsonl:2: JSON nested more than 64 levels deep"),
            std::string::npos);
}

}  // namespace
}  // namespace sinklab::testing
