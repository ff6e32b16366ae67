#pragma once
// Process-wide structured log: one line per event, `time level component: message` (text) or one
// JSON object per line (json). By default lines go to standard error; configure_log() can send them
// to a size-rotated file instead (Burrow's [logging] with lumberjack semantics).
//
// Threads: every function here may be called from any thread (the io thread, the blocking pool,
// librdkafka's own threads). The level is an atomic; a line is formatted and written under the
// destination's lock, so lines from different threads never interleave. configure_log() and
// shutdown_log() are start-up/exit calls: make them before other threads log and after they stop.
// spdlog stays in log.cpp.
#include <chrono>
#include <cstdint>
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

enum class log_format { text, json };

/// Where and how lines are written. Defaults: text on standard error, UTC timestamps.
struct log_options {
  log_format format = log_format::text;
  /// Local time (with its UTC offset) instead of UTC (`Z`) in line timestamps and backup names.
  bool localtime = false;
  /// Log file, appended to. Empty = standard error (the other fields below are then unused).
  std::string filename;
  /// Rotate before a line would take the file past this size. At least 1.
  std::int64_t max_bytes = 100 * 1024 * 1024;
  /// Rotated backups kept, newest first. 0 = all.
  int max_backups = 10;
  /// Backups older than this many days (by the time in their name) are deleted. 0 = no limit.
  int max_age_days = 30;
  /// Gzip backups (FILE-TIMESTAMP.EXT.gz).
  bool compress = false;
};

/// Replaces the destination. Backups of `filename` are named like lumberjack's:
/// `DIR/NAME-2006-01-02T15-04-05.000.EXT` (NAME.EXT = the file's name), the time of the rotation.
/// Backup clean-up (max_backups, max_age_days) and compression run on a background thread after
/// each rotation and once at configuration. Throws std::runtime_error naming the file when it
/// cannot be opened (its directory is created if missing).
void configure_log(const log_options& options);
/// Flushes, waits for pending backup work, and returns to standard error in text format.
void shutdown_log();

/// One line as written (without the trailing newline): text `2024-05-01T12:00:00.123Z info  app: msg`
/// or json `{"time":"...","level":"info","component":"app","message":"msg"}`. Pure.
std::string format_log_line(log_format format, bool localtime, std::chrono::system_clock::time_point when,
                            log_level level, std::string_view component, std::string_view message);

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
