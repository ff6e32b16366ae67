// libFuzzer target for the notifier template engine (service/notifier/template.cpp): the input is
// template text. It is parsed; a template that parses is rendered against fixed notifier data
// under small limits. Besides "never crash, never hang", it traps on a violation:
// - a parse error has a position inside the text (line >= 1, column >= 1, line <= lines of text);
// - a render never produces more than max_output_bytes, and an error result has a position;
// - rendering is deterministic (a second render gives the same output and error).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "service/evaluator/rules.hpp"
#include "service/notifier/template.hpp"

namespace gt = warren::go_template;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

const gt::value& data() {
  static const gt::value v = [] {
    warren::group_status g;
    g.cluster = "local";
    g.group = "fuzz-group";
    g.status = warren::status_code::err;
    g.complete = 0.75f;
    warren::partition_status a{"topic-a", 0, "/127.0.0.1", "client", warren::status_code::stop,
                               warren::consumer_offset{1, 0, 1700000000000, 1700000000001, 5},
                               warren::consumer_offset{9, 0, 1700000060000, 1700000060001, std::nullopt}, 40, 1.0f};
    warren::partition_status b = a;
    b.topic = "topic-b";
    b.partition = 3;
    b.status = warren::status_code::ok;
    b.start.reset();
    b.current_lag = 0;
    g.partitions = {a, b};
    g.partition_count = 2;
    g.maxlag = a;
    g.totallag = 40;
    return gt::make_notifier_data(g, "00000000-0000-4000-8000-000000000000", warren::timestamp_ms{1700000123456},
                                  {{"api_key", "k"}, {"tier", "<t>"}});
  }();
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(bytes), size);
  const auto parsed = gt::parse(text, "fuzz.tmpl");
  if (!parsed.ok()) {
    check(parsed.error.has_value());
    std::uint32_t lines = 1;
    for (char c : text) lines += c == '\n';
    check(parsed.error->line >= 1 && parsed.error->line <= lines && parsed.error->column >= 1);
    check(!parsed.error->message.empty());
    return 0;
  }
  gt::render_limits limits;
  limits.max_output_bytes = 64 * 1024;
  limits.max_range_iterations = 2000;
  limits.max_steps = 20000;
  limits.max_depth = 16;
  const auto first = parsed.parsed->render(data(), limits);
  check(first.output.size() <= limits.max_output_bytes);
  if (first.error) check(first.error->line >= 1 && first.error->column >= 1 && !first.error->message.empty());
  const auto second = parsed.parsed->render(data(), limits);
  check(second.output == first.output && second.error == first.error);
  return 0;
}
