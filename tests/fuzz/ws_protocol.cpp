// libFuzzer target for the pure WebSocket protocol (service/ws/ws_protocol.cpp): arbitrary client
// frames through parse_client_message, then subscription_filter::make and the filter's matcher.
//
// Input layout: the bytes up to the first NUL are the client's text frame; the bytes after it (at
// most 255) are a group name matched against the filter a subscribe builds. The frame is copied
// into an exact-size heap buffer so AddressSanitizer flags any read past its end.
//
// Besides "never crash, never throw", it checks the protocol's contract and traps on a violation:
// - limits: ids at most max_id_length, cluster and group at most 1024 characters; an unsubscribe
//   has an id; a subscribe never has both group and pattern (a pattern's size is checked when it
//   is compiled: bad_pattern);
// - re-serialising what parsed (as a JSON object) parses back to the same request;
// - a parse error is bad_json, bad_request or unknown_type with a message, and its error frame is
//   valid JSON that gives back the code, the id and (when it is valid UTF-8) the message;
// - make: unknown_cluster exactly when the cluster is set and not configured, bad_pattern only for a
//   non-empty pattern, otherwise a filter with the request's fields whose matcher agrees with exact
//   cluster/group semantics, and whose snapshot frame gives back id, cluster, group and pattern;
// - unsubscribed and pong frames give back the id;
// - a warren.v2 batch frame of the messages built here parses to exactly those messages, in order,
//   with consecutive seqs, and a single-message frame is the message alone;
// - the frame text, read as a Sec-WebSocket-Protocol header, picks warren.v2 only when offered,
//   warren.v1 only when offered and v2 not, "" only when no token is offered.
//
// Boost.JSON is compiled into this target (src.hpp below, no libboost_json), so the parser is
// coverage-instrumented too and the fuzzer learns JSON; tests/fuzz/ws_protocol.dict seeds the keys.
#include <algorithm>
#include <boost/json.hpp>
#include <boost/json/src.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "service/ws/ws_protocol.hpp"

namespace ws = warren::ws;
namespace json = boost::json;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

const std::vector<std::string>& clusters() {
  static const std::vector<std::string> c{"local", "remote"};
  return c;
}

// Strict UTF-8 (no overlongs, no surrogates, at most U+10FFFF), as Boost.JSON accepts it.
bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 1, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

// A server frame must be a JSON object with the given type and seq.
json::object parse_frame(const ws::server_message& m, std::string_view type, std::uint64_t seq) {
  check(m.type == type);
  check(!m.body.empty() && (m.body == "}" || m.body.front() == ','));
  boost::system::error_code ec;
  json::value v = json::parse(ws::frame_text(m, seq), ec);
  check(!ec && v.is_object());
  auto& o = v.as_object();
  const auto* t = o.if_contains("type");
  check(t && t->is_string() && t->get_string() == type);
  const auto* s = o.if_contains("seq");
  check(s && ((s->is_int64() && s->get_int64() == static_cast<std::int64_t>(seq)) ||
              (s->is_uint64() && s->get_uint64() == seq)));
  return std::move(o);
}

std::string_view string_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  check(v && v->is_string());
  return v->get_string();
}

std::string reserialise(std::string_view type, std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  json::object o;
  o["type"] = type;
  for (const auto& [k, v] : fields) o[k] = v;
  return json::serialize(o);
}

void check_filter(const ws::subscribe_request& r, const ws::subscription_filter& f, std::string_view group) {
  check(f.cluster() == r.cluster && f.group() == r.group && f.pattern() == r.pattern);
  check(f.same_as(f));
  const auto copy = f;
  check(copy.same_as(f) && f.same_as(copy));
  // A cluster that is not the filter's never matches; with no pattern, the group is exact.
  if (!r.cluster.empty()) check(!f.matches(r.cluster == "local" ? "remote" : "local", r.group));
  if (r.pattern.empty()) {
    const std::string_view c = r.cluster.empty() ? std::string_view("remote") : std::string_view(r.cluster);
    if (!r.group.empty()) check(f.matches(c, r.group));
    check(f.matches(c, group) == (r.group.empty() || group == r.group));
  } else {
    // Any answer, but no crash and no hang (RE2, and max_match_steps bounds the work per name).
    (void)f.matches(r.cluster.empty() ? "local" : r.cluster, group);
  }
  const auto snap = parse_frame(ws::snapshot_message(r.id, f, r.detail, {}), "snapshot", 2);
  check(string_field(snap, "id") == r.id && string_field(snap, "cluster") == r.cluster &&
        string_field(snap, "group") == r.group && string_field(snap, "pattern") == r.pattern &&
        string_field(snap, "detail") == ws::to_string(r.detail));
  const auto* statuses = snap.if_contains("statuses");
  check(statuses && statuses->is_array() && statuses->get_array().empty());
}

void check_subscribe(const ws::subscribe_request& r, std::string_view group) {
  check(r.id.size() <= ws::max_id_length);
  check(r.cluster.size() <= 1024 && r.group.size() <= 1024);
  check(r.group.empty() || r.pattern.empty());
  const auto again = ws::parse_client_message(reserialise("subscribe", {{"id", r.id},
                                                                        {"cluster", r.cluster},
                                                                        {"group", r.group},
                                                                        {"pattern", r.pattern},
                                                                        {"detail", ws::to_string(r.detail)}}));
  const auto* s = std::get_if<ws::subscribe_request>(&again);
  check(s && s->id == r.id && s->cluster == r.cluster && s->group == r.group && s->pattern == r.pattern &&
        s->detail == r.detail);

  const auto made = ws::subscription_filter::make(r, clusters());
  const bool known = r.cluster.empty() || r.cluster == "local" || r.cluster == "remote";
  if (const auto* e = std::get_if<ws::protocol_error>(&made)) {
    check(e->id == r.id && !e->message.empty());
    if (!known) check(e->code == ws::error_code::unknown_cluster);
    else check(e->code == ws::error_code::bad_pattern && !r.pattern.empty());
    return;
  }
  check(known);
  check_filter(r, std::get<ws::subscription_filter>(made), group);
}

void check_error(const ws::protocol_error& e) {
  check(e.code == ws::error_code::bad_json || e.code == ws::error_code::bad_request ||
        e.code == ws::error_code::unknown_type);
  check(!e.message.empty() && e.id.size() <= ws::max_id_length);
  const auto o = parse_frame(ws::error_message(e), "error", 3);
  check(string_field(o, "code") == ws::to_string(e.code));
  if (valid_utf8(e.message)) check(string_field(o, "message") == e.message);
  else (void)string_field(o, "message");
  if (e.id.empty()) check(!o.contains("id"));
  else check(string_field(o, "id") == e.id);
}

// The messages built for this input, batched and alone, give back the same JSON.
void check_batch(const std::vector<ws::server_message>& ms, std::uint64_t first_seq) {
  if (ms.empty()) return;
  std::vector<ws::message_ref> refs;
  for (const auto& m : ms) refs.push_back({m.type, m.body});
  boost::system::error_code ec;
  const auto text = ws::frame_text(refs, first_seq, true);
  json::value v = json::parse(text, ec);
  check(!ec && v.is_object());
  if (ms.size() == 1) {
    check(text == ws::frame_text(ms.front(), first_seq));
    return;
  }
  check(v.as_object().size() == 2 && string_field(v.as_object(), "type") == "batch");
  const auto* inner = v.as_object().if_contains("messages");
  check(inner && inner->is_array() && inner->get_array().size() == ms.size());
  for (std::size_t i = 0; i < ms.size(); ++i) {
    json::value alone = json::parse(ws::frame_text(ms[i], first_seq + i), ec);
    check(!ec && alone == inner->get_array()[i]);
  }
}

void check_subprotocol(std::string_view header) {
  const auto chosen = ws::choose_subprotocol(header);
  const bool v2 = header.find("warren.v2") != std::string_view::npos;
  const bool v1 = header.find("warren.v1") != std::string_view::npos;
  if (!chosen) return check(header.find_first_not_of(" \t,") != std::string_view::npos);
  if (*chosen == ws::subprotocol_v2) return check(v2);
  if (*chosen == ws::subprotocol) return check(v1);
  check(chosen->empty() && header.find_first_not_of(" \t,") == std::string_view::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto* nul = static_cast<const std::uint8_t*>(std::memchr(data, 0, size));
  const std::size_t text_size = nul ? static_cast<std::size_t>(nul - data) : size;
  auto text = std::make_unique<char[]>(text_size);
  if (text_size) std::memcpy(text.get(), data, text_size);
  std::string group;
  if (nul) group.assign(reinterpret_cast<const char*>(nul + 1), std::min<std::size_t>(size - text_size - 1, 255));

  check_subprotocol(std::string_view(text.get(), text_size));
  const auto msg = ws::parse_client_message(std::string_view(text.get(), text_size));
  std::vector<ws::server_message> built;
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, ws::subscribe_request>) {
          check_subscribe(m, group);
        } else if constexpr (std::is_same_v<T, ws::unsubscribe_request>) {
          check(!m.id.empty() && m.id.size() <= ws::max_id_length);
          const auto again = ws::parse_client_message(reserialise("unsubscribe", {{"id", m.id}}));
          const auto* u = std::get_if<ws::unsubscribe_request>(&again);
          check(u && u->id == m.id);
          check(string_field(parse_frame(ws::unsubscribed_message(m.id), "unsubscribed", 4), "id") == m.id);
          built.push_back(ws::unsubscribed_message(m.id));
          built.push_back(ws::pong_message(m.id));
        } else if constexpr (std::is_same_v<T, ws::ping_request>) {
          check(m.id.size() <= ws::max_id_length);
          const auto again = ws::parse_client_message(reserialise("ping", {{"id", m.id}}));
          const auto* p = std::get_if<ws::ping_request>(&again);
          check(p && p->id == m.id);
          const auto pong = parse_frame(ws::pong_message(m.id), "pong", 5);
          if (m.id.empty()) check(!pong.contains("id"));
          else check(string_field(pong, "id") == m.id);
          built.push_back(ws::pong_message(m.id));
        } else {
          check_error(m);
          built.push_back(ws::error_message(m));
          built.push_back(ws::error_message(m));
          built.push_back(ws::pong_message(m.id));
        }
      },
      msg);
  check_batch(built, 1 + size % 1000);
  return 0;
}
