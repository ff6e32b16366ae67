#pragma once
// pattern: a user-supplied regular expression (config group allow/deny lists, stream
// subscription patterns), compiled once with RE2. Matching is linear in the input and does not
// recurse, so no pattern and no group name can stall or crash the io thread; the compiled size is
// bounded at compile time (pattern_limits), so matching cost per input byte is bounded too.
//
// Syntax is RE2's, which is Go's regexp syntax (Burrow's allow/deny lists are Go regexps, so
// Burrow configs load unchanged; ECMAScript-only features such as lookahead and backreferences
// are errors). search() is Go's MatchString: unanchored, true when the pattern matches anywhere
// in the text; anchor with ^ and $ to match the whole text. Texts are UTF-8 (invalid bytes
// never match a literal character but never fail the search).
//
// Immutable after compile; copies share the compiled program. Callable from any thread (RE2's
// matching functions are thread-safe on a const object). re2.h stays in pattern.cpp.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

namespace warren {

struct pattern_limits {
  /// Longest pattern text accepted, in bytes.
  std::size_t max_length = 16 * 1024;
  /// Largest compiled program accepted, in RE2 instructions. A search costs O(text × program) at
  /// worst (RE2's NFA, used when a pattern's DFA would not fit max_memory; measured 10-20 ns per
  /// byte × instruction), and usually O(text) (the DFA). `(.*){40}x` is 364 instructions,
  /// `^(console-|quick-).*$` about 20.
  int max_program_size = 2000;
  /// RE2's memory budget for the program and its DFA caches (RE2::Options::max_mem, RE2's
  /// default); allocated only as a search needs it.
  std::int64_t max_memory = 8 << 20;
};

/// Why a pattern was refused, to follow "invalid regular expression X: ": "RE2/Go syntax error:
/// <RE2's reason>", "too long: …" or "too large once compiled (…)".
struct pattern_error {
  std::string message;
};

class pattern {
 public:
  /// Compiles `text`. Errors: text longer than max_length, invalid syntax (RE2's reason), a
  /// program larger than max_program_size or max_memory. Never throws (except std::bad_alloc).
  static std::variant<pattern, pattern_error> compile(std::string_view text, const pattern_limits& limits = {});

  /// Unanchored search (Go's regexp.MatchString).
  bool search(std::string_view text) const;
  const std::string& text() const;
  /// RE2's program size (instructions).
  int program_size() const;
  /// Upper bound of a search's work on a text of `text_size` bytes, in byte × instruction steps
  /// (the NFA's worst case); callers that must bound one search's time compare against it.
  std::size_t worst_case_steps(std::size_t text_size) const {
    return text_size * static_cast<std::size_t>(program_size());
  }

 private:
  struct impl;
  explicit pattern(std::shared_ptr<const impl> p) : impl_(std::move(p)) {}
  std::shared_ptr<const impl> impl_;  // immutable, shared by copies
};

}  // namespace warren
