#pragma once
// Go encoding/json compatible scalars, for the hand-written Burrow bodies (burrow_json) and the
// WebSocket messages: Boost.JSON prints 0.5 as 5E-1 and does not escape like Go. Pure functions,
// any thread.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace warren {

/// A JSON string literal with Go encoding/json escaping (HTML-safe \u003c \u003e \u0026, \u2028
/// \u2029, invalid UTF-8 → \ufffd, \b and \f as \u0008 \u000c), appended to `out`.
void append_json_string(std::string& out, std::string_view s);
/// A JSON string literal escaped exactly as Boost.JSON's serializer escapes it (the envelope bodies
/// of http/api_v3 were built with Boost.JSON: their bytes stay the same): `"` and `\`, \b \t \n
/// \f \r, other control characters as \u00xx, every other byte verbatim. Appended to `out`.
void append_boost_json_string(std::string& out, std::string_view s);
/// A float32 as Go's encoding/json prints it: shortest round-trip digits (1, 0.5, 0.33333334).
std::string go_float32(float f);
void append_go_float32(std::string& out, float f);
/// The bytes append_go_float32 appends, written to `buf`; returns their count.
std::size_t go_float32_chars(char (&buf)[64], float f);
void append_json_int(std::string& out, std::int64_t v);
void append_json_uint(std::string& out, std::uint64_t v);

}  // namespace warren
