#include "service/http/go_json.hpp"

#include <charconv>
#include <cmath>

namespace warren {
namespace {

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

}  // namespace

void append_json_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_json_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// Go encoding/json (escapeHTML on, the json.Encoder default Burrow uses). Go before 1.22 writes
// \b and \f as \u0008 and \u000c; so do we.
void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  // Bytes written as they are (printable ASCII but " \ < > &, and valid UTF-8 but U+2028/9) are
  // copied in runs (issue 12: one append per run, not per byte).
  std::size_t plain = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
        ++i;
        continue;
      }
      out.append(s.data() + plain, i - plain);
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 0xF];
      }
      plain = ++i;
      continue;
    }
    std::uint32_t cp = 0;
    const std::size_t n = utf8_length(s, i, cp);
    if (n != 0 && cp != 0x2028 && cp != 0x2029) {
      i += n;
      continue;
    }
    out.append(s.data() + plain, i - plain);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
    } else {
      out += cp == 0x2028 ? "\\u2028" : "\\u2029";
      i += n;
    }
    plain = i;
  }
  out.append(s.data() + plain, s.size() - plain);
  out += '"';
}

// Boost.JSON 1.81 serializer.ipp's escape table, written out: no HTML escaping, no UTF-8 checks.
void append_boost_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  std::size_t plain = 0;  // start of the run of bytes copied as they are
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 0xF];
    }
  }
  out.append(s.data() + plain, s.size() - plain);
  out += '"';
}

// Go encoding/json floatEncoder for float32: shortest round-trip digits, %f style unless the
// magnitude is below 1e-6 or at least 1e21, exponent "e-07" cleaned to "e-7".
std::size_t go_float32_chars(char (&buf)[64], float f) {
  if (!std::isfinite(f)) {  // Go refuses to encode these; never produced here
    buf[0] = '0';
    return 1;
  }
  const float a = std::fabs(f);
  const bool sci = a != 0.0f && (a < 1e-6f || a >= 1e21f);
  auto r = std::to_chars(buf, buf + sizeof buf, f, sci ? std::chars_format::scientific : std::chars_format::fixed);
  std::size_t n = static_cast<std::size_t>(r.ptr - buf);
  if (sci && n >= 4 && buf[n - 4] == 'e' && buf[n - 3] == '-' && buf[n - 2] == '0') {
    buf[n - 2] = buf[n - 1];
    --n;
  }
  return n;
}

void append_go_float32(std::string& out, float f) {
  char buf[64];
  out.append(buf, go_float32_chars(buf, f));
}

std::string go_float32(float f) {
  std::string s;
  append_go_float32(s, f);
  return s;
}

}  // namespace warren
