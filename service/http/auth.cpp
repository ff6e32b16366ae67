#include "service/http/auth.hpp"

#include <cstdint>

namespace warren::http {
namespace {
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}
}  // namespace

access access_for(std::string_view method, std::string_view path) {
  if (method != "GET" && method != "HEAD") return access::admin;
  if (path == "/burrow/admin" || path == "/burrow/admin/ready") return access::open;
  if (path == "/" || path == "/dashboard/:file") return access::open;  // static files, no data
  if (path == "/metrics") return access::metrics;
  return access::read;
}

std::string_view bearer_token(std::string_view authorization) {
  constexpr std::string_view scheme = "bearer";
  if (authorization.size() <= scheme.size() || !iequals(authorization.substr(0, scheme.size()), scheme)) return {};
  auto rest = authorization.substr(scheme.size());
  if (rest.front() != ' ') return {};  // "Bearerx" is another scheme
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.remove_suffix(1);
  return rest;
}

std::string subprotocol_bearer_token(std::string_view offered) {
  constexpr std::string_view prefix = "warren.bearer.";
  while (!offered.empty()) {
    const auto comma = offered.find(',');
    auto item = offered.substr(0, comma);
    offered = comma == std::string_view::npos ? std::string_view{} : offered.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (!item.starts_with(prefix)) continue;
    item.remove_prefix(prefix.size());
    // base64url (RFC 4648 §5) without padding: 4 characters → 3 bytes; a length of 1 mod 4 is invalid.
    if (item.empty() || item.size() % 4 == 1) return {};
    std::string out;
    out.reserve(item.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (const char ch : item) {
      int v = -1;
      if (ch >= 'A' && ch <= 'Z') v = ch - 'A';
      else if (ch >= 'a' && ch <= 'z') v = ch - 'a' + 26;
      else if (ch >= '0' && ch <= '9') v = ch - '0' + 52;
      else if (ch == '-') v = 62;
      else if (ch == '_') v = 63;
      if (v < 0) return {};
      acc = ((acc << 6) | static_cast<std::uint32_t>(v)) & 0xFFFFFFu;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out.push_back(static_cast<char>((acc >> bits) & 0xFFu));
      }
    }
    return out;
  }
  return {};
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Every byte of `b` (the configured token) is visited whatever `a` holds; the lengths are folded
  // into the result instead of returning early.
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < b.size(); ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ static_cast<unsigned char>(b[i]));
  }
  return diff == 0;
}

bool authorized(const api_tokens& tokens, access needed, std::string_view authorization) {
  // The class's own token decides whether the class is protected; admin-token also grants it.
  std::string_view own;
  switch (needed) {
    case access::open: return true;
    case access::read: own = tokens.read; break;
    case access::metrics: own = tokens.metrics.empty() ? std::string_view(tokens.read) : tokens.metrics; break;
    case access::admin: own = tokens.admin.empty() ? std::string_view(tokens.read) : tokens.admin; break;
  }
  if (own.empty()) return true;
  const auto given = bearer_token(authorization);
  if (given.empty()) return false;
  // Both comparisons always run: which one matched does not show in the time taken.
  const bool own_ok = constant_time_equal(given, own);
  const bool admin_ok = !tokens.admin.empty() && constant_time_equal(given, tokens.admin);
  return own_ok | admin_ok;
}

std::string_view unauthorized_message(access needed) {
  switch (needed) {
    case access::metrics: return "metrics token required";
    case access::read: return "read token required";
    case access::admin:
    case access::open: break;
  }
  return "admin token required";
}

}  // namespace warren::http
