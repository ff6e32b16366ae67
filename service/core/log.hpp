#pragma once
// Process-wide structured log: one line per event on stderr, `time level component: message`.
// The level can be changed at run time (/v3/admin/loglevel). Called on the io thread; writes are
// single fprintf calls, so lines from other threads never interleave mid-line.
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace warren {

enum class log_level { debug = 0, info = 1, warn = 2, error = 3 };

std::string_view to_string(log_level level);
/// Burrow's accepted names, case-insensitive: debug, trace (= debug), info, warn, warning, error, fatal.
std::optional<log_level> parse_log_level(std::string_view name);
void set_log_level(log_level level);
log_level current_log_level();
bool log_enabled(log_level level);
void write_log(log_level level, std::string_view component, std::string_view message);

template <class... Args>
void log(log_level level, std::string_view component, const Args&... args) {
  if (!log_enabled(level)) return;
  std::ostringstream out;
  (out << ... << args);
  write_log(level, component, out.str());
}
template <class... Args>
void log_debug(std::string_view c, const Args&... a) { log(log_level::debug, c, a...); }
template <class... Args>
void log_info(std::string_view c, const Args&... a) { log(log_level::info, c, a...); }
template <class... Args>
void log_warn(std::string_view c, const Args&... a) { log(log_level::warn, c, a...); }
template <class... Args>
void log_error(std::string_view c, const Args&... a) { log(log_level::error, c, a...); }

}  // namespace warren
