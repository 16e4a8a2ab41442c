#include "io/config_section.h"

namespace sinklab::config {

std::string Origin::where() const { return line >= 0 ? fmt::format("{}:{}", file, line + 1) : file; }

void bad(const Entry& e, const std::string& key, const std::string& message) {
  fail("{}: {}: {}", e.origin.where(), key, message);
}

std::string shown(const YAML::Node& n) {
  if (n.IsScalar()) return "'" + n.Scalar() + "'";
  return n.IsSequence() ? "a list" : n.IsMap() ? "a mapping" : "nothing";
}

void require_scalar(const Entry& e, const std::string& key) {
  if (!e.value.IsScalar()) bad(e, key, fmt::format("expected a single value, got {}", shown(e.value)));
}

namespace {

template <class T>
T as(const Entry& e, const std::string& key, const char* what) {
  require_scalar(e, key);
  try {
    return e.value.as<T>();
  } catch (const YAML::BadConversion&) {
    bad(e, key, fmt::format("expected {}, got {}", what, shown(e.value)));
  }
}

// yaml-cpp accepts 1e3 for integers in some versions: insist on digits.
void require_digits(const Entry& e, const std::string& key) {
  require_scalar(e, key);
  const std::string& s = e.value.Scalar();
  if (s.empty() || s.find_first_not_of("+-0123456789") != std::string::npos)
    bad(e, key, fmt::format("expected an integer, got {}", shown(e.value)));
}

}  // namespace

bool to_bool(const Entry& e, const std::string& key) { return as<bool>(e, key, "true or false"); }

std::int64_t to_int(const Entry& e, const std::string& key) {
  require_digits(e, key);
  return as<std::int64_t>(e, key, "an integer");
}

std::uint64_t to_uint(const Entry& e, const std::string& key) {
  require_digits(e, key);
  if (e.value.Scalar().find('-') != std::string::npos) bad(e, key, fmt::format("expected an integer >= 0, got {}", shown(e.value)));
  return as<std::uint64_t>(e, key, "an integer");
}

double to_double(const Entry& e, const std::string& key) {
  const double v = as<double>(e, key, "a number");
  if (!std::isfinite(v)) bad(e, key, fmt::format("expected a finite number, got {}", shown(e.value)));
  return v;
}

}  // namespace sinklab::config
