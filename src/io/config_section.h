#pragma once
// The keys of one config section, declared once beside the struct they fill: each key's dotted
// name, the member it sets (its default is the struct's own), a doc line; and the section's rules
// across its values. train/config.cpp reads YAML files into these keys and checks the rules; the
// resolved config, `sinklab config keys` and configs/README.md's key table are written from them.
#include <yaml-cpp/yaml.h>

#include <array>
#include <cmath>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/error.h"

namespace sinklab::config {

// Where a value was read: a file and line, or a --set option.
struct Origin {
  std::string file;
  int line = -1;  // 0-based; -1 when not from a file line
  std::string where() const;
};

struct Entry {
  YAML::Node value;
  Origin origin;
};

// A value that breaks a key's type or a rule: "<file>:<line>: <key>: <message>".
[[noreturn]] void bad(const Entry& entry, const std::string& key, const std::string& message);

// The names of an enum's values in configs; specialised beside each enum.
template <class E>
struct EnumNames;

// The config name of an enum value, and the value a name stands for (nullopt: no such name).
template <class E>
std::string_view enum_name(E value) {
  for (const auto& [name, v] : EnumNames<E>::values)
    if (v == value) return name;
  return "?";
}
template <class E>
std::optional<E> enum_value(std::string_view name) {
  for (const auto& [n, v] : EnumNames<E>::values)
    if (name == n) return v;
  return std::nullopt;
}

// A YAML value as T (bool, whole numbers, finite doubles, strings, lists of doubles, enums with
// EnumNames); errors name the key and what was expected.
template <class T>
T convert(const Entry& e, const std::string& key);
// T as the YAML value the resolved config holds (read back by convert to the same T).
template <class T>
YAML::Node to_node(const T& value);

// A rule's verdict on one key of the section: report(false, "d_model", "must be positive").
using Report = std::function<void(bool ok, const std::string& key, const std::string& message)>;

template <class S>
class Section {
 public:
  struct Key {
    std::string name;  // within the section: "d_model"
    std::string doc;
    std::function<void(S&, const Entry&, const std::string& path)> set;
    std::function<YAML::Node(const S&)> get;
  };

  explicit Section(std::string prefix) : prefix_(std::move(prefix)) {}

  // A key that sets `member` from its value.
  template <class T>
  Section& key(std::string name, T S::*member, std::string doc) {
    return key(std::move(name), [member](S& s) -> T& { return s.*member; }, std::move(doc));
  }
  // A key that sets what `access` returns (a member of a member, say).
  template <class Access>
    requires std::is_invocable_v<Access, S&>
  Section& key(std::string name, Access access, std::string doc) {
    using T = std::remove_cvref_t<std::invoke_result_t<Access, S&>>;
    keys_.push_back({std::move(name), std::move(doc),
                     [access](S& s, const Entry& e, const std::string& path) { access(s) = convert<T>(e, path); },
                     [access](const S& s) { return to_node(access(const_cast<S&>(s))); }});
    return *this;
  }
  // A key with its own conversion (one value that fills two members, say).
  Section& key(Key custom) {
    keys_.push_back(std::move(custom));
    return *this;
  }
  // A rule across the section's values, checked once every key is set.
  Section& rule(std::function<void(const S&, const Report&)> check) {
    rules_.push_back(std::move(check));
    return *this;
  }

  const std::string& prefix() const { return prefix_; }
  const std::vector<Key>& keys() const { return keys_; }
  const std::vector<std::function<void(const S&, const Report&)>>& rules() const { return rules_; }

 private:
  std::string prefix_;
  std::vector<Key> keys_;
  std::vector<std::function<void(const S&, const Report&)>> rules_;
};

// ---- conversions ----------------------------------------------------------------------------

std::string shown(const YAML::Node& n);  // "'x'", "a list", "a mapping"
void require_scalar(const Entry& e, const std::string& key);
bool to_bool(const Entry& e, const std::string& key);
std::int64_t to_int(const Entry& e, const std::string& key);
std::uint64_t to_uint(const Entry& e, const std::string& key);
double to_double(const Entry& e, const std::string& key);  // finite

template <class T>
T convert(const Entry& e, const std::string& key) {
  if constexpr (std::is_same_v<T, std::vector<double>>) {
    if (!e.value.IsSequence()) bad(e, key, "expected a list of numbers, got " + shown(e.value));
    std::vector<double> out;
    for (const auto& item : e.value) out.push_back(to_double({item, e.origin}, key));
    return out;
  } else if constexpr (std::is_enum_v<T>) {
    require_scalar(e, key);
    if (const auto value = enum_value<T>(e.value.Scalar())) return *value;
    std::vector<std::string> names;
    for (const auto& [name, value] : EnumNames<T>::values) names.push_back(name);
    bad(e, key, fmt::format("'{}' is not one of: {}", e.value.Scalar(), fmt::join(names, ", ")));
  } else if constexpr (std::is_same_v<T, std::string>) {
    require_scalar(e, key);
    return e.value.Scalar();
  } else if constexpr (std::is_same_v<T, bool>) {
    return to_bool(e, key);
  } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    return static_cast<T>(to_int(e, key));
  } else if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(to_uint(e, key));
  } else {
    return static_cast<T>(to_double(e, key));
  }
}

template <class T>
YAML::Node to_node(const T& v) {
  if constexpr (std::is_floating_point_v<T>) {
    return YAML::Node(fmt::format("{}", v));  // the shortest text that reads back to the same double
  } else if constexpr (std::is_same_v<T, std::vector<double>>) {
    YAML::Node seq(YAML::NodeType::Sequence);
    for (double x : v) seq.push_back(to_node(x));
    return seq;
  } else if constexpr (std::is_enum_v<T>) {
    return YAML::Node(std::string(enum_name(v)));
  } else {
    return YAML::Node(v);
  }
}

}  // namespace sinklab::config
