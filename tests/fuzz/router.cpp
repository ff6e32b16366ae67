// libFuzzer target for the pure HTTP router (service/http/router.cpp): arbitrary method and path
// bytes against Warren's v3 route table.
//
// Input layout: byte 0 = method length (clamped to what is left), then the method bytes, then the
// path bytes. Both are copied into exact-size heap buffers so AddressSanitizer flags any read past
// either end.
//
// Besides "never crash", it checks and traps on a violation:
// - found: a valid id whose route has as many `:name` segments as there are params, none empty,
//   and the method matches (HEAD matches GET); `allow` is empty;
// - method_not_allowed: `allow` is non-empty and does not list the method asked for;
// - not_found / bad_path: no id, no params;
// - percent_decode of a percent-encoding of each param gives the param back.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "service/http/router.hpp"

namespace wh = warren::http;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// The v3 table of service/http/api_v3.cpp (ids are indexes here).
const std::vector<wh::route_def>& table() {
  static const std::vector<wh::route_def> defs{
      {0, "GET", "/burrow/admin"},
      {1, "GET", "/burrow/admin/ready"},
      {2, "GET", "/metrics"},
      {3, "GET", "/v3/kafka"},
      {4, "GET", "/v3/kafka/:cluster"},
      {5, "GET", "/v3/kafka/:cluster/topic"},
      {6, "GET", "/v3/kafka/:cluster/topic/:topic"},
      {7, "GET", "/v3/kafka/:cluster/topic/:topic/consumers"},
      {8, "GET", "/v3/kafka/:cluster/consumer"},
      {9, "GET", "/v3/kafka/:cluster/consumer/:consumer"},
      {10, "GET", "/v3/kafka/:cluster/consumer/:consumer/status"},
      {11, "GET", "/v3/kafka/:cluster/consumer/:consumer/lag"},
      {12, "DELETE", "/v3/kafka/:cluster/consumer/:consumer"},
      {13, "DELETE", "/v3/kafka/:cluster/consumer/:consumer/topic/:topic"},
      {14, "GET", "/v3/config"},
      {15, "GET", "/v3/config/:coordinator"},
      {16, "GET", "/v3/config/storage/:name"},
      {17, "GET", "/v3/config/evaluator/:name"},
      {18, "GET", "/v3/config/cluster/:name"},
      {19, "GET", "/v3/config/consumer/:name"},
      {20, "GET", "/v3/config/notifier/:name"},
      {21, "GET", "/v3/admin/loglevel"},
      {22, "POST", "/v3/admin/loglevel"},
  };
  return defs;
}

std::size_t placeholders(std::string_view pattern) {
  std::size_t n = 0;
  for (std::size_t i = 0; i + 1 < pattern.size(); ++i)
    if (pattern[i] == '/' && pattern[i + 1] == ':') ++n;
  return n;
}

std::string percent_encode(std::string_view s) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    out += '%';
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const wh::router router(table());
  if (size < 1) return 0;
  const std::size_t rest = size - 1;
  const std::size_t method_size = data[0] < rest ? data[0] : rest;
  const std::size_t path_size = rest - method_size;
  auto method = std::make_unique<char[]>(method_size);
  auto path = std::make_unique<char[]>(path_size);
  if (method_size) std::memcpy(method.get(), data + 1, method_size);
  if (path_size) std::memcpy(path.get(), data + 1 + method_size, path_size);
  const std::string_view m(method.get(), method_size);
  const std::string_view p(path.get(), path_size);

  const auto r = router.match(m, p);
  switch (r.kind) {
    case wh::match_kind::found: {
      check(r.id >= 0 && static_cast<std::size_t>(r.id) < table().size());
      const auto& def = table()[static_cast<std::size_t>(r.id)];
      check(def.method == m || (m == "HEAD" && def.method == "GET"));
      check(r.params.size() == placeholders(def.pattern));
      check(r.allow.empty());
      for (const auto& param : r.params) {
        check(!param.empty());
        const auto again = wh::percent_decode(percent_encode(param));
        check(again && *again == param);
      }
      break;
    }
    case wh::match_kind::method_not_allowed:
      check(!r.allow.empty() && r.id == -1);
      check(r.allow != m);
      break;
    case wh::match_kind::not_found:
    case wh::match_kind::bad_path:
      check(r.id == -1 && r.params.empty());
      break;
  }
  return 0;
}
