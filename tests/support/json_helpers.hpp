#pragma once
// JSON access for tests: parse a body, walk a path, never throw on a missing member (null instead).
#include <boost/json.hpp>
#include <initializer_list>
#include <string>
#include <variant>

namespace warren::test {

inline boost::json::value parse_json(const std::string& body) {
  boost::json::error_code ec;
  auto v = boost::json::parse(body, ec);
  return ec ? boost::json::value(nullptr) : v;
}

/// at(v, {"status", "partitions", 0, "status"}): null when any step is missing.
inline boost::json::value at(const boost::json::value& v, std::initializer_list<std::variant<const char*, int>> path) {
  const boost::json::value* cur = &v;
  for (const auto& step : path) {
    if (std::holds_alternative<const char*>(step)) {
      if (!cur->is_object()) return nullptr;
      auto it = cur->as_object().find(std::get<const char*>(step));
      if (it == cur->as_object().end()) return nullptr;
      cur = &it->value();
    } else {
      auto i = static_cast<std::size_t>(std::get<int>(step));
      if (!cur->is_array() || i >= cur->as_array().size()) return nullptr;
      cur = &cur->as_array()[i];
    }
  }
  return *cur;
}

inline std::string str(const boost::json::value& v) { return v.is_string() ? std::string(v.as_string()) : std::string(); }
inline std::int64_t num(const boost::json::value& v, std::int64_t fallback = -1) {
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64()) return static_cast<std::int64_t>(v.as_uint64());
  return fallback;
}
inline bool contains_string(const boost::json::value& arr, const std::string& s) {
  if (!arr.is_array()) return false;
  for (const auto& e : arr.as_array())
    if (e.is_string() && e.as_string() == s) return true;
  return false;
}

}  // namespace warren::test
