#include "service/evaluator/status_json.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace warren {
namespace {

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 when invalid (Go's utf8.DecodeRuneInString
// rules: no overlongs, no surrogates, ≤ U+10FFFF).
std::size_t utf8_length(std::string_view s, std::size_t i, std::uint32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  auto cont = [&](std::size_t k) {
    return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
  };
  auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(s[i + k]) & 0x3F); };
  if (b0 >= 0xC2 && b0 <= 0xDF && cont(1)) {
    cp = ((b0 & 0x1Fu) << 6) | byte(1);
    return 2;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF && cont(1) && cont(2)) {
    cp = ((b0 & 0x0Fu) << 12) | (byte(1) << 6) | byte(2);
    if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4 && cont(1) && cont(2) && cont(3)) {
    cp = ((b0 & 0x07u) << 18) | (byte(1) << 12) | (byte(2) << 6) | byte(3);
    if (cp < 0x10000 || cp > 0x10FFFF) return 0;
    return 4;
  }
  return 0;
}

void append_optional(std::string& out, const std::optional<consumer_offset>& o) {
  if (o)
    append_json(out, *o);
  else
    out += "null";
}

void append_request(std::string& out, std::string_view url, std::string_view host) {
  out += R"("request":{"url":)";
  append_json_string(out, url);
  out += R"(,"host":)";
  append_json_string(out, host);
  out += '}';
}

}  // namespace

// Go encoding/json (escapeHTML on, the json.Encoder default Burrow uses). Go before 1.22 writes
// \b and \f as \u0008 and \u000c; so do we.
void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 0xF];
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    std::uint32_t cp = 0;
    const std::size_t n = utf8_length(s, i, cp);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (cp == 0x2028 || cp == 0x2029) {
      out += cp == 0x2028 ? "\\u2028" : "\\u2029";
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  out += '"';
}

// Go encoding/json floatEncoder for float32: shortest round-trip digits, %f style unless the
// magnitude is below 1e-6 or at least 1e21, exponent "e-07" cleaned to "e-7".
std::string go_float32(float f) {
  if (!std::isfinite(f)) return "0";  // Go refuses to encode these; never produced here
  const float a = std::fabs(f);
  const bool sci = a != 0.0f && (a < 1e-6f || a >= 1e21f);
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, f, sci ? std::chars_format::scientific : std::chars_format::fixed);
  std::string s(buf, r.ptr);
  if (sci) {
    const std::size_t n = s.size();
    if (n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') s.erase(n - 2, 1);
  }
  return s;
}

void append_json(std::string& out, const consumer_offset& o) {
  out += R"({"offset":)";
  append_int(out, o.offset);
  out += R"(,"timestamp":)";
  append_int(out, o.timestamp);
  out += R"(,"observedAt":)";
  append_int(out, o.observed_at);
  out += R"(,"lag":)";
  if (o.lag)
    append_uint(out, *o.lag);
  else
    out += "null";
  out += '}';
}

void append_json(std::string& out, const partition_status& p) {
  out += R"({"topic":)";
  append_json_string(out, p.topic);
  out += R"(,"partition":)";
  append_int(out, p.partition);
  out += R"(,"owner":)";
  append_json_string(out, p.owner);
  out += R"(,"client_id":)";
  append_json_string(out, p.client_id);
  out += R"(,"status":)";
  append_json_string(out, to_string(p.status));
  out += R"(,"start":)";
  append_optional(out, p.start);
  out += R"(,"end":)";
  append_optional(out, p.end);
  out += R"(,"current_lag":)";
  append_uint(out, p.current_lag);
  out += R"(,"complete":)";
  out += go_float32(p.complete);
  out += '}';
}

void append_json(std::string& out, const group_status& g) {
  out += R"({"cluster":)";
  append_json_string(out, g.cluster);
  out += R"(,"group":)";
  append_json_string(out, g.group);
  out += R"(,"status":)";
  append_json_string(out, to_string(g.status));
  out += R"(,"complete":)";
  out += go_float32(g.complete);
  out += R"(,"partitions":[)";
  for (std::size_t i = 0; i < g.partitions.size(); ++i) {
    if (i) out += ',';
    append_json(out, g.partitions[i]);
  }
  out += R"(],"partition_count":)";
  append_uint(out, g.partition_count);
  out += R"(,"maxlag":)";
  if (g.maxlag)
    append_json(out, *g.maxlag);
  else
    out += "null";
  out += R"(,"totallag":)";
  append_uint(out, g.totallag);
  out += '}';
}

std::string to_json(const group_status& g) {
  std::string out;
  append_json(out, g);
  return out;
}

std::string to_json(const partition_status& p) {
  std::string out;
  append_json(out, p);
  return out;
}

void append_consumer_topics_json(std::string& out, const group_view& view) {
  out += '{';
  // view.topics is sorted and partitions are grouped by topic in that order. A topic with no
  // partition slot (not produced by the model) is still printed, as an empty array.
  std::size_t pi = 0;
  for (std::uint32_t t = 0; t < view.topics.size(); ++t) {
    if (t) out += ',';
    append_json_string(out, view.topics[t]);
    out += ":[";
    bool first = true;
    for (; pi < view.partitions.size() && view.partitions[pi].topic == t; ++pi) {
      const auto& p = view.partitions[pi];
      if (!first) out += ',';
      first = false;
      out += R"({"offsets":[)";
      if (p.ring_length > 0) {
        bool first_slot = true;
        for (std::uint32_t k = p.window_size; k < p.ring_length; ++k) {
          if (!first_slot) out += ',';
          first_slot = false;
          out += "null";
        }
        for (const auto& o : view.window(p)) {
          if (!first_slot) out += ',';
          first_slot = false;
          append_json(out, o);
        }
      }
      out += R"(],"owner":)";
      append_json_string(out, p.owner);
      out += R"(,"client_id":)";
      append_json_string(out, p.client_id);
      out += R"(,"current-lag":)";
      append_uint(out, p.current_lag);
      out += '}';
    }
    out += ']';
  }
  out += '}';
}

std::string consumer_topics_json(const group_view& view) {
  std::string out;
  append_consumer_topics_json(out, view);
  return out;
}

std::string status_response_json(const group_status& g, std::string_view url, std::string_view host) {
  std::string out = R"({"error":false,"message":"consumer status returned","status":)";
  append_json(out, g);
  out += ',';
  append_request(out, url, host);
  out += '}';
  return out;
}

std::string consumer_detail_response_json(const group_view& view, std::string_view url, std::string_view host) {
  std::string out = R"({"error":false,"message":"consumer detail returned","topics":)";
  append_consumer_topics_json(out, view);
  out += ',';
  append_request(out, url, host);
  out += '}';
  return out;
}

}  // namespace warren
