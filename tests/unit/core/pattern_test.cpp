#include "service/core/pattern.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <string>

using namespace warren;

namespace {
pattern compiled(std::string_view text) {
  auto made = pattern::compile(text);
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<pattern>(made), std::string(text));
  return std::get<pattern>(std::move(made));
}
std::string refusal(std::string_view text, const pattern_limits& limits = {}) {
  auto made = pattern::compile(text, limits);
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<pattern_error>(made), std::string(text));
  return std::get<pattern_error>(made).message;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(core_pattern)

BOOST_AUTO_TEST_CASE(search_is_unanchored_like_go_match_string) {
  struct row {
    std::string_view pattern, text;
    bool match;
  };
  const row rows[] = {
      {"app", "my-app-1", true},          {"^app", "my-app-1", false},     {"^app-", "app-1", true},
      {"-test$", "app-test", true},       {"-test$", "app-test-2", false}, {"(?i)^CONSOLE", "console-x", true},
      {"^(a|b)*c$", "ababc", true},       {"\\d{3}", "g-123", true},       {"[[:alpha:]]+", "123", false},
      {"^$", "", true},                   {"", "anything", true},          {"é", "caf\xc3\xa9", true},
      {"x", "\xff\xfex", true},  // invalid UTF-8 in the text does not fail the search
  };
  for (const auto& r : rows) BOOST_TEST(compiled(r.pattern).search(r.text) == r.match, r.pattern << " / " << r.text);
}

BOOST_AUTO_TEST_CASE(copies_share_the_program_and_keep_the_text) {
  auto a = compiled("^g-[0-9]+$");
  auto b = a;
  BOOST_TEST(b.text() == "^g-[0-9]+$");
  BOOST_TEST(b.search("g-12"));
  BOOST_TEST(a.program_size() == b.program_size());
  BOOST_TEST(a.worst_case_steps(10) == 10u * static_cast<std::size_t>(a.program_size()));
}

BOOST_AUTO_TEST_CASE(ecmascript_only_syntax_is_refused_with_re2s_reason) {
  BOOST_TEST(refusal("(?=a)").find("RE2/Go syntax error: invalid perl operator") == 0u);
  BOOST_TEST(refusal("(a)\\1").find("RE2/Go syntax error") == 0u);
  BOOST_TEST(refusal("(").find("missing )") != std::string::npos);
  BOOST_TEST(refusal("x{1001}").find("invalid repetition size") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(too_long_and_too_large_patterns_are_refused) {
  BOOST_TEST(refusal(std::string(16 * 1024 + 1, 'a')).find("too long: 16385 bytes (the limit is 16384)") == 0u);
  BOOST_TEST(refusal("(.*){1000}x").find("too large once compiled (9004 instructions; the limit is 2000)") == 0u);
  pattern_limits tiny;
  tiny.max_memory = 1024;
  BOOST_TEST(refusal("(.*){200}x", tiny).find("too large once compiled") == 0u);
  // Nesting costs no stack: 5 000 nested groups compile (std::regex overflowed at a few thousand).
  std::string deep = std::string(5000, '(') + "a" + std::string(5000, ')');
  pattern_limits roomy;
  roomy.max_program_size = 100000;
  BOOST_TEST(std::holds_alternative<pattern>(pattern::compile(deep, roomy)));
}

BOOST_AUTO_TEST_CASE(catastrophic_patterns_and_long_names_match_without_recursion) {
  // The inputs that froze (exponential backtracking) or crashed (recursion per character)
  // std::regex. Correctness only: timing is printed by tests/bench/ws_subscribe.
  const std::string long_name(32000, 'a');
  BOOST_TEST(!compiled("(.*){40}x").search(long_name));
  BOOST_TEST(!compiled("(.*){25}x").search(long_name));
  BOOST_TEST(!compiled("^(a|b)*c").search(long_name));
  BOOST_TEST(compiled("^(a|b)*c").search(long_name + "c"));
  BOOST_TEST(compiled("a{1000}$").search(long_name));
}

BOOST_AUTO_TEST_SUITE_END()
