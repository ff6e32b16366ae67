#include "service/core/log.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace warren {
namespace {
// Written on the io thread (admin call), read anywhere: a torn read of an int is harmless here.
log_level g_level = log_level::info;
}  // namespace

std::string_view to_string(log_level level) {
  switch (level) {
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warn: return "warn";
    case log_level::error: return "error";
  }
  return "info";
}

std::optional<log_level> parse_log_level(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "debug" || lower == "trace") return log_level::debug;
  if (lower == "info") return log_level::info;
  if (lower == "warn" || lower == "warning") return log_level::warn;
  if (lower == "error" || lower == "fatal" || lower == "panic") return log_level::error;
  return std::nullopt;
}

void set_log_level(log_level level) { g_level = level; }
log_level current_log_level() { return g_level; }
bool log_enabled(log_level level) { return static_cast<int>(level) >= static_cast<int>(g_level); }

void write_log(log_level level, std::string_view component, std::string_view message) {
  using namespace std::chrono;
  auto now = system_clock::now();
  std::time_t t = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char ts[32];
  std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
  std::fprintf(stderr, "%s.%03lldZ %-5.*s %.*s: %.*s\n", ts, static_cast<long long>(ms),
               static_cast<int>(to_string(level).size()), to_string(level).data(),
               static_cast<int>(component.size()), component.data(), static_cast<int>(message.size()),
               message.data());
}

}  // namespace warren
