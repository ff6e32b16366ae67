#include "service/core/pattern.hpp"

#include <re2/re2.h>

namespace warren {

struct pattern::impl {
  impl(std::string_view t, const RE2::Options& o) : text(t), re(re2::StringPiece(t.data(), t.size()), o) {}
  std::string text;
  RE2 re;
  int program_size = 0;
};

std::variant<pattern, pattern_error> pattern::compile(std::string_view text, const pattern_limits& limits) {
  if (text.size() > limits.max_length)
    return pattern_error{"too long: " + std::to_string(text.size()) + " bytes (the limit is " +
                         std::to_string(limits.max_length) + ")"};
  RE2::Options o;
  o.set_log_errors(false);  // errors are returned to the caller, not written to stderr
  o.set_max_mem(limits.max_memory);
  o.set_never_capture(true);  // only search() is offered: no submatches to keep
  auto p = std::make_shared<impl>(text, o);
  if (!p->re.ok()) {
    if (p->re.error_code() == RE2::ErrorPatternTooLarge)
      return pattern_error{"too large once compiled (over RE2's memory limit of " + std::to_string(limits.max_memory) +
                           " bytes)"};
    return pattern_error{"RE2/Go syntax error: " + p->re.error()};
  }
  const int size = p->re.ProgramSize();
  if (size > limits.max_program_size)
    return pattern_error{"too large once compiled (" + std::to_string(size) +
                         " instructions; the limit is " + std::to_string(limits.max_program_size) + ")"};
  p->program_size = size;
  return pattern(std::move(p));
}

bool pattern::search(std::string_view text) const {
  return RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), impl_->re);
}

const std::string& pattern::text() const { return impl_->text; }

int pattern::program_size() const { return impl_->program_size; }

}  // namespace warren
