#include "io/yaml_file.h"

#include <yaml-cpp/eventhandler.h>

#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "engine/error.h"

namespace sinklab::io {
namespace {

namespace fs = std::filesystem;

// Walks the parser's events once before the node tree is built, refusing what would make a
// config mean two things (duplicate keys, several documents) or expand without bound (aliases).
class StrictEvents : public YAML::EventHandler {
 public:
  explicit StrictEvents(std::string origin) : origin_(std::move(origin)) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor, "~"); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    fail("{}:{}: aliases (*name) are not allowed in sinklab files; write the value out", origin_, mark.line + 1);
  }
  void OnAnchor(const YAML::Mark& mark, const std::string&) override { no_anchor(mark, 1); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, const std::string& value) override {
    leaf(mark, anchor, value);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    open(mark, anchor, false);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    open(mark, anchor, true);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Container {
    bool map;
    bool expect_key = true;
    std::set<std::string> keys;
  };

  void no_anchor(const YAML::Mark& mark, YAML::anchor_t anchor) const {
    if (anchor != YAML::NullAnchor)
      fail("{}:{}: anchors (&name) are not allowed in sinklab files; write the value out", origin_, mark.line + 1);
  }

  // A scalar or null: a key when it stands at a key position of a mapping.
  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor, const std::string& value) {
    no_anchor(mark, anchor);
    if (stack_.empty() || !stack_.back().map) return;
    Container& m = stack_.back();
    if (m.expect_key && !m.keys.insert(value).second)
      fail("{}:{}: key '{}' appears twice in the same mapping", origin_, mark.line + 1, value);
    m.expect_key = !m.expect_key;
  }

  void open(const YAML::Mark& mark, YAML::anchor_t anchor, bool map) {
    no_anchor(mark, anchor);
    if (!stack_.empty() && stack_.back().map) {
      if (stack_.back().expect_key)
        fail("{}:{}: a mapping key must be a plain value, not a {}", origin_, mark.line + 1, map ? "mapping" : "list");
      stack_.back().expect_key = true;
    }
    stack_.push_back({map, true, {}});
  }

  void close() { stack_.pop_back(); }

  std::string origin_;
  std::vector<Container> stack_;
};

}  // namespace

YAML::Node parse_yaml(const std::string& text, const std::string& origin) {
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    StrictEvents events(origin);
    if (parser.HandleNextDocument(events) && parser.HandleNextDocument(events))
      fail("{}: holds more than one YAML document (a second '---'); sinklab reads one", origin);
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail("{}:{}: not valid YAML: {}", origin, e.mark.line + 1, e.msg);
  }
}

YAML::Node read_yaml_file(const fs::path& file, const std::string& what) {
  std::error_code ec;
  const auto status = fs::status(file, ec);
  if (!fs::exists(status)) fail("{}: {} not found", file.string(), what);
  if (!fs::is_regular_file(status)) fail("{}: {} is not a regular file", file.string(), what);
  const auto size = fs::file_size(file, ec);
  if (ec || size > max_yaml_bytes)
    fail("{}: {} is {} bytes; sinklab reads YAML files of at most {} bytes", file.string(), what, size, max_yaml_bytes);
  std::ifstream in(file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.eof() && in.fail()) fail("{}: cannot read the {}", file.string(), what);
  return parse_yaml(text, file.string());
}

}  // namespace sinklab::io
