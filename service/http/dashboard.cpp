#include "service/http/dashboard.hpp"

#include <string>

namespace warren::http {
namespace {

// RFC 9110 §13.1.2: If-None-Match is `*` or a list of entity tags (weak ones compare weakly).
bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    const auto comma = if_none_match.find(',');
    auto item = if_none_match.substr(0, comma);
    if_none_match = comma == std::string_view::npos ? std::string_view{} : if_none_match.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item == "*") return true;
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item == etag) return true;
  }
  return false;
}

void add_common_headers(response& r, std::string_view etag) {
  r.headers.emplace_back("ETag", std::string(etag));
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("Content-Security-Policy", std::string(dashboard_csp));
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("X-Frame-Options", "DENY");
}

}  // namespace

response dashboard_response(std::string_view name, const request& req) {
  for (const auto& a : dashboard_assets()) {
    if (a.name != name) continue;
    if (!req.if_none_match.empty() && etag_matches(req.if_none_match, a.etag)) {
      response r{304, std::string(a.content_type), {}, {}};
      add_common_headers(r, a.etag);
      return r;
    }
    response r{200, std::string(a.content_type), std::string(a.body), {}};
    add_common_headers(r, a.etag);
    return r;
  }
  // Burrow's catch-all, as for any unknown path.
  return response{404, "text/plain; charset=utf-8",
                  "{\"error\":true,\"message\":\"invalid request type\",\"result\":{}}\n", {}};
}

}  // namespace warren::http
