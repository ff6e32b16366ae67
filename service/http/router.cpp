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

route_match router::match(std::string_view method, std::string_view path) const {
  auto segs = split_path(path);
  route_match result;
  if (segs.empty()) return result;
  std::vector<std::string> decoded;
  decoded.reserve(segs.size());
  for (auto s : segs) {
    auto d = percent_decode(s);
    if (!d) {
      result.kind = match_kind::bad_path;
      return result;
    }
    decoded.push_back(std::move(*d));
  }
  for (const auto& r : routes_) {
    if (r.segments.size() != segs.size()) continue;
    std::vector<std::string> params;
    bool ok = true;
    for (std::size_t i = 0; i < segs.size() && ok; ++i) {
      const auto& p = r.segments[i];
      if (!p.empty() && p.front() == ':') {
        // Burrow's httprouter cannot address an empty parameter; neither do we.
        if (decoded[i].empty()) ok = false;
        else params.push_back(decoded[i]);
      } else {
        ok = (segs[i] == p);  // literal segments compare undecoded
      }
    }
    if (!ok) continue;
    if (r.def.method == method || (method == "HEAD" && r.def.method == "GET")) {
      result.kind = match_kind::found;
      result.id = r.def.id;
      result.params = std::move(params);
      result.allow.clear();
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
