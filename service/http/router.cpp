#include "service/http/router.hpp"

namespace warren::http {
namespace {
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') return out;
  path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}
int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

router::router(std::vector<route_def> routes) {
  for (auto& r : routes) routes_.push_back({r, split_path(r.pattern)});
}

// No allocation until a route is found (issue 12): the path is checked for malformed escapes once,
// then each route's segments are compared against the raw path in place; only the found route's
// parameters are decoded.
route_match router::match(std::string_view method, std::string_view path) const {
  route_match result;
  if (path.empty() || path.front() != '/') return result;
  const std::string_view rest = path.substr(1);
  std::size_t count = 1;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '/') {
      ++count;
    } else if (rest[i] == '%') {
      // The escape must sit inside its segment: '/' is not a hex digit.
      if (i + 2 >= rest.size() || hex(rest[i + 1]) < 0 || hex(rest[i + 2]) < 0) {
        result.kind = match_kind::bad_path;
        return result;
      }
    }
  }
  for (const auto& r : routes_) {
    if (r.segments.size() != count) continue;
    bool ok = true;
    std::string_view tail = rest;
    for (std::size_t i = 0; i < count && ok; ++i) {
      const auto slash = tail.find('/');
      const std::string_view seg = tail.substr(0, slash);
      tail = slash == std::string_view::npos ? std::string_view() : tail.substr(slash + 1);
      const auto& p = r.segments[i];
      if (!p.empty() && p.front() == ':') {
        ok = !seg.empty();  // Burrow's httprouter cannot address an empty parameter; neither do we
      } else {
        ok = (seg == p);  // literal segments compare undecoded
      }
    }
    if (!ok) continue;
    if (r.def.method == method || (method == "HEAD" && r.def.method == "GET")) {
      result.kind = match_kind::found;
      result.id = r.def.id;
      result.allow.clear();
      tail = rest;
      for (std::size_t i = 0; i < count; ++i) {
        const auto slash = tail.find('/');
        const std::string_view seg = tail.substr(0, slash);
        tail = slash == std::string_view::npos ? std::string_view() : tail.substr(slash + 1);
        const auto& p = r.segments[i];
        if (!p.empty() && p.front() == ':') result.params.push_back(*percent_decode(seg));
      }
      return result;
    }
    result.kind = match_kind::method_not_allowed;
    if (result.allow.find(r.def.method) == std::string::npos) {
      if (!result.allow.empty()) result.allow += ", ";
      result.allow += r.def.method;
    }
  }
  return result;
}

}  // namespace warren::http
