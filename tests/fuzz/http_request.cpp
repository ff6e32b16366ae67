// libFuzzer target for Warren's HTTP request path without sockets: the target split into path and
// query, percent-decoding, the router over the v3 route table, the access class of the matched
// route and the bearer-token check (service/http/router.cpp, service/http/auth.cpp).
//
// Input layout: byte 0 = method length, byte 1 = Authorization length (each clamped to what is
// left), then the method bytes, the Authorization bytes, and the request target. Every piece is
// copied into an exact-size heap buffer so AddressSanitizer flags any read past its end.
//
// Besides "never crash", it checks and traps on a violation:
// - percent_decode: never longer than its input; the %XX encoding of its output decodes back to it;
// - router: found = a valid id, as many params as the pattern has `:name` segments, none empty, the
//   method matches (HEAD matches GET); method_not_allowed = a non-empty Allow without the method;
// - bearer_token: a suffix-trimmed piece of the header, never starting or ending with a space,
//   non-empty only after a case-insensitive "Bearer ";
// - constant_time_equal agrees with ==;
// - authorized() agrees with a naive model of auth.hpp's rules for every access class, for three
//   token sets (none, admin only, all three); the probes (/burrow/admin) are always open and a
//   POST/DELETE is never open while admin-token or read-token is set.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "service/http/auth.hpp"
#include "service/http/router.hpp"

namespace wh = warren::http;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// The route table of service/http/api_v3.cpp (ids are indexes here).
const std::vector<wh::route_def>& table() {
  static const std::vector<wh::route_def> defs{
      {0, "GET", "/burrow/admin"},
      {1, "GET", "/burrow/admin/ready"},
      {2, "GET", "/metrics"},
      {3, "GET", "/v3/health"},
      {4, "GET", "/v3/kafka"},
      {5, "GET", "/v3/kafka/:cluster"},
      {6, "GET", "/v3/kafka/:cluster/topic"},
      {7, "GET", "/v3/kafka/:cluster/topic/:topic"},
      {8, "GET", "/v3/kafka/:cluster/topic/:topic/consumers"},
      {9, "GET", "/v3/kafka/:cluster/consumer"},
      {10, "GET", "/v3/kafka/:cluster/consumer/:consumer"},
      {11, "GET", "/v3/kafka/:cluster/consumer/:consumer/status"},
      {12, "GET", "/v3/kafka/:cluster/consumer/:consumer/lag"},
      {13, "DELETE", "/v3/kafka/:cluster/consumer/:consumer"},
      {14, "DELETE", "/v3/kafka/:cluster/consumer/:consumer/topic/:topic"},
      {15, "GET", "/v3/config"},
      {16, "GET", "/v3/config/:coordinator"},
      {17, "GET", "/v3/config/storage/:name"},
      {18, "GET", "/v3/admin/loglevel"},
      {19, "POST", "/v3/admin/loglevel"},
      {20, "POST", "/v3/admin/fault/:actor/:cluster"},
  };
  return defs;
}

std::size_t placeholders(std::string_view pattern) {
  std::size_t n = 0;
  for (std::size_t i = 0; i + 1 < pattern.size(); ++i)
    if (pattern[i] == '/' && pattern[i + 1] == ':') ++n;
  return n;
}

std::string encode_all(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    out += '%';
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

// A copy of `piece` in an exact-size heap buffer (ASan catches reads past either end).
struct exact {
  std::unique_ptr<char[]> data;
  std::size_t size;
  explicit exact(std::string_view piece) : data(new char[piece.size() ? piece.size() : 1]), size(piece.size()) {
    if (size) std::memcpy(data.get(), piece.data(), size);
  }
  std::string_view view() const { return {data.get(), size}; }
};

// auth.hpp's rules written the obvious way, to compare with the real (constant-time) code.
bool model_authorized(const wh::api_tokens& t, wh::access a, std::string_view header) {
  std::string_view own;
  switch (a) {
    case wh::access::open: return true;
    case wh::access::read: own = t.read; break;
    case wh::access::metrics: own = t.metrics.empty() ? std::string_view(t.read) : t.metrics; break;
    case wh::access::admin: own = t.admin.empty() ? std::string_view(t.read) : t.admin; break;
  }
  if (own.empty()) return true;
  if (header.size() < 7) return false;
  std::string scheme(header.substr(0, 7));
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "bearer ") return false;
  std::string_view token = header.substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
  if (token.empty()) return false;
  return token == own || (!t.admin.empty() && token == t.admin);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
  const std::size_t mlen = std::min<std::size_t>(data[0], in.size());
  const exact method(in.substr(0, mlen));
  in.remove_prefix(mlen);
  const std::size_t alen = std::min<std::size_t>(data[1], in.size());
  const exact authorization(in.substr(0, alen));
  in.remove_prefix(alen);
  const exact target(in);
  const std::string_view path = target.view().substr(0, target.view().find('?'));

  // percent-decoding
  if (auto decoded = wh::percent_decode(path)) {
    check(decoded->size() <= path.size());
    auto again = wh::percent_decode(encode_all(*decoded));
    check(again && *again == *decoded);
  }

  // routing
  static const wh::router router(table());
  const auto m = router.match(method.view(), path);
  std::string_view pattern = path;
  switch (m.kind) {
    case wh::match_kind::found: {
      check(m.id >= 0 && static_cast<std::size_t>(m.id) < table().size());
      const auto& def = table()[static_cast<std::size_t>(m.id)];
      check(m.params.size() == placeholders(def.pattern));
      for (const auto& p : m.params) check(!p.empty());
      check(def.method == method.view() || (method.view() == "HEAD" && def.method == "GET"));
      check(m.allow.empty());
      pattern = def.pattern;
      break;
    }
    case wh::match_kind::method_not_allowed: {
      check(!m.allow.empty() && m.id == -1);
      std::string_view rest = m.allow;
      while (true) {
        const auto comma = rest.find(", ");
        check(rest.substr(0, comma) != method.view());
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 2);
      }
      break;
    }
    case wh::match_kind::not_found:
    case wh::match_kind::bad_path: check(m.id == -1 && m.params.empty()); break;
  }

  // the bearer token
  const auto token = wh::bearer_token(authorization.view());
  if (!token.empty()) {
    const auto h = authorization.view();
    check(token.data() >= h.data() && token.data() + token.size() <= h.data() + h.size());
    check(token.front() != ' ' && token.back() != ' ' && token.back() != '\t');
    check(h.size() > 7 && (h[0] == 'B' || h[0] == 'b') && h[6] == ' ');
  }
  check(wh::constant_time_equal(token, path) == (token == path));
  check(wh::constant_time_equal(method.view(), token) == (method.view() == token));

  // the access decision
  const auto needed = wh::access_for(method.view(), pattern);
  if (method.view() == "GET" && (path == "/burrow/admin" || path == "/burrow/admin/ready"))
    check(needed == wh::access::open);
  const wh::api_tokens sets[] = {{}, {.admin = "adm1n"}, {.admin = "adm1n", .read = "r3ad", .metrics = "m3trics"}};
  for (const auto& t : sets) {
    for (auto a : {wh::access::open, wh::access::read, wh::access::metrics, wh::access::admin})
      check(wh::authorized(t, a, authorization.view()) == model_authorized(t, a, authorization.view()));
    if (needed == wh::access::open) check(wh::authorized(t, needed, authorization.view()));
    if (method.view() == "POST" || method.view() == "DELETE") {
      check(needed == wh::access::admin);
      if (!t.admin.empty()) check(!wh::authorized(t, needed, "") && !wh::authorized(t, needed, "Bearer r3ad"));
    }
  }
  return 0;
}
