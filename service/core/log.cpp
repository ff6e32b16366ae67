#include "service/core/log.hpp"

#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <spdlog/details/file_helper.h>
#include <spdlog/formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

// The log is the one place in service/ with a mutex and atomics besides librdkafka's bridge: it is
// called from librdkafka's threads and the blocking pool as well as the io thread (see log.hpp).

namespace warren {
namespace fs = std::filesystem;
using std::chrono::system_clock;

namespace {

std::atomic<int> g_level{static_cast<int>(log_level::info)};

spdlog::level::level_enum to_spdlog(log_level l) {
  switch (l) {
    case log_level::debug: return spdlog::level::debug;
    case log_level::info: return spdlog::level::info;
    case log_level::warn: return spdlog::level::warn;
    case log_level::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

log_level from_spdlog(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace:
    case spdlog::level::debug: return log_level::debug;
    case spdlog::level::info: return log_level::info;
    case spdlog::level::warn: return log_level::warn;
    default: return log_level::error;
  }
}

std::tm broken_down(std::time_t t, bool localtime) {
  std::tm tm{};
  if (localtime) localtime_r(&t, &tm);
  else gmtime_r(&t, &tm);
  return tm;
}

// 2024-05-01T12:00:00.123Z (UTC) or 2024-05-01T14:00:00.123+02:00 (local).
std::string line_time(system_clock::time_point when, bool localtime) {
  using namespace std::chrono;
  std::time_t t = system_clock::to_time_t(when);
  auto ms = duration_cast<milliseconds>(when.time_since_epoch()).count() % 1000;
  if (ms < 0) ms += 1000;
  std::tm tm = broken_down(t, localtime);
  char ts[64];
  std::size_t n = std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(ts, n);
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(ms));
  out += frac;
  if (!localtime) return out + "Z";
  long off = tm.tm_gmtoff / 60;
  char zone[48];
  std::snprintf(zone, sizeof zone, "%c%02ld:%02ld", off < 0 ? '-' : '+', std::labs(off) / 60, std::labs(off) % 60);
  return out + zone;
}

void json_escape(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char esc[8];
          std::snprintf(esc, sizeof esc, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += esc;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

// Renders warren's line; the component travels as spdlog's logger name.
class line_formatter final : public spdlog::formatter {
 public:
  line_formatter(log_format format, bool localtime) : format_(format), localtime_(localtime) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line = format_log_line(format_, localtime_, msg.time, from_spdlog(msg.level),
                                       std::string_view(msg.logger_name.data(), msg.logger_name.size()),
                                       std::string_view(msg.payload.data(), msg.payload.size()));
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<line_formatter>(format_, localtime_);
  }

 private:
  log_format format_;
  bool localtime_;
};

// ---- lumberjack-style rotation ------------------------------------------------------------------

constexpr const char* backup_time_format = "%Y-%m-%dT%H-%M-%S";  // lumberjack: 2006-01-02T15-04-05.000

// Parses the TIMESTAMP part of a backup name; nullopt when it is not one.
std::optional<system_clock::time_point> parse_backup_time(const std::string& s, bool localtime) {
  int y, mo, d, h, mi, sec, ms;
  char tail;
  if (s.size() != 23 || std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d-%2d-%2d.%3d%c", &y, &mo, &d, &h, &mi, &sec, &ms, &tail) != 7)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  tm.tm_isdst = -1;
  std::time_t t = localtime ? std::mktime(&tm) : timegm(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return system_clock::from_time_t(t) + std::chrono::milliseconds(ms);
}

// gzip `from` into `from.gz` (through a temporary name, so a crash leaves no truncated .gz), then
// removes `from`. Returns false (leaving `from` in place) on any error.
bool gzip_file(const fs::path& from) {
  fs::path to = from.string() + ".gz";
  fs::path tmp = from.string() + ".gz.tmp";
  std::ifstream in(from, std::ios::binary);
  if (!in) return false;
  gzFile out = gzopen(tmp.c_str(), "wb");
  if (!out) return false;
  std::vector<char> buf(64 * 1024);
  bool ok = true;
  while (ok && in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto n = in.gcount();
    if (n > 0 && gzwrite(out, buf.data(), static_cast<unsigned>(n)) != static_cast<int>(n)) ok = false;
  }
  if (in.bad()) ok = false;
  if (gzclose(out) != Z_OK) ok = false;
  std::error_code ec;
  if (ok) fs::rename(tmp, to, ec);
  if (!ok || ec) {
    fs::remove(tmp, ec);
    return false;
  }
  fs::remove(from, ec);
  return true;
}

// A file sink that rotates like lumberjack (Burrow's log writer): before a line would take the file
// past max_bytes, the file is renamed to NAME-TIMESTAMP.EXT and a new one started. The "mill"
// (backup deletion by count and age, compression) runs on its own thread so a rotation never makes
// a logging thread wait for gzip.
class rotating_file_sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit rotating_file_sink(log_options o) : o_(std::move(o)) {
    auto [base, ext] = spdlog::details::file_helper::split_by_extension(o_.filename);
    prefix_ = fs::path(base).filename().string() + "-";
    ext_ = ext;
    dir_ = fs::path(o_.filename).parent_path();
    if (dir_.empty()) dir_ = ".";
    file_.open(o_.filename, false);  // throws spdlog::spdlog_ex naming the file
    size_ = file_.size();
    mill_ = std::thread([this] { mill_loop(); });
    request_mill();
  }

  ~rotating_file_sink() override {
    {
      std::lock_guard lock(mill_mutex_);
      stop_ = true;
    }
    mill_cv_.notify_one();
    mill_.join();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    if (size_ > 0 && size_ + buf.size() > static_cast<std::size_t>(std::max<std::int64_t>(o_.max_bytes, 1))) rotate();
    file_.write(buf);
    file_.flush();  // a line is on disk when write_log returns (tests, crashes, tail -f)
    size_ += buf.size();
  }
  void flush_() override { file_.flush(); }

 private:
  void rotate() {
    file_.close();
    // Backup names must be unique: two rotations in one millisecond get consecutive milliseconds.
    auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(system_clock::now());
    if (now <= last_backup_) now = last_backup_ + std::chrono::milliseconds(1);
    last_backup_ = now;
    std::error_code ec;
    fs::rename(o_.filename, dir_ / backup_name(now), ec);
    if (ec)  // cannot log through ourselves (the sink lock is held): standard error is the fallback
      std::fprintf(stderr, "warren: cannot rotate log file %s: %s\n", o_.filename.c_str(), ec.message().c_str());
    file_.open(o_.filename, !ec);
    size_ = file_.size();
    request_mill();
  }

  std::string backup_name(system_clock::time_point when) const {
    std::tm tm = broken_down(system_clock::to_time_t(when), o_.localtime);
    char ts[64];
    std::size_t n = std::strftime(ts, sizeof ts, backup_time_format, &tm);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count() % 1000;
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(ms));
    return prefix_ + std::string(ts, n) + frac + ext_;
  }

  void request_mill() {
    {
      std::lock_guard lock(mill_mutex_);
      mill_requested_ = true;
    }
    mill_cv_.notify_one();
  }

  void mill_loop() {
    std::unique_lock lock(mill_mutex_);
    for (;;) {
      mill_cv_.wait(lock, [&] { return stop_ || mill_requested_; });
      if (mill_requested_) {
        mill_requested_ = false;
        lock.unlock();
        mill_once();
        lock.lock();
      }
      if (stop_) return;
    }
  }

  // Lumberjack's millRunOnce: backups newest first; beyond max_backups or older than max_age_days
  // are removed; the rest are compressed when asked.
  void mill_once() {
    struct backup {
      fs::path path;
      bool compressed;
    };
    std::multimap<system_clock::time_point, backup, std::greater<>> backups;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir_, ec)) {
      std::string name = entry.path().filename().string();
      if (!entry.is_regular_file(ec) || name.rfind(prefix_, 0) != 0) continue;
      bool compressed = false;
      std::string stamp;
      auto strip = [&](const std::string& suffix) {
        if (name.size() < prefix_.size() + suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
          return false;
        stamp = name.substr(prefix_.size(), name.size() - prefix_.size() - suffix.size());
        return true;
      };
      if (strip(ext_ + ".gz")) compressed = true;
      else if (!strip(ext_)) continue;
      if (auto t = parse_backup_time(stamp, o_.localtime)) backups.emplace(*t, backup{entry.path(), compressed});
    }
    auto cutoff = system_clock::now() - std::chrono::hours(24) * o_.max_age_days;
    int kept = 0;
    system_clock::time_point previous{};
    bool first = true;
    for (const auto& [when, b] : backups) {
      // A plain file next to its own .gz (compression interrupted) counts once.
      if (first || when != previous) ++kept;
      first = false;
      previous = when;
      bool too_many = o_.max_backups > 0 && kept > o_.max_backups;
      bool too_old = o_.max_age_days > 0 && when < cutoff;
      if (too_many || too_old) {
        fs::remove(b.path, ec);
        continue;
      }
      if (o_.compress && !b.compressed) {
        fs::path gz = b.path.string() + ".gz";
        if (fs::exists(gz, ec)) fs::remove(b.path, ec);
        else if (!gzip_file(b.path))
          std::fprintf(stderr, "warren: cannot compress log backup %s\n", b.path.c_str());
      }
    }
  }

  log_options o_;
  std::string prefix_;  // NAME-
  std::string ext_;     // .EXT (may be empty)
  fs::path dir_;
  spdlog::details::file_helper file_;
  std::size_t size_ = 0;
  std::chrono::time_point<system_clock, std::chrono::milliseconds> last_backup_{};

  std::mutex mill_mutex_;
  std::condition_variable mill_cv_;
  bool mill_requested_ = false;
  bool stop_ = false;
  std::thread mill_;  // last: it uses the members above
};

// The destination, swapped by configure_log (start-up) and read by every write.
std::mutex g_sink_mutex;
std::shared_ptr<spdlog::sinks::sink> g_sink;

std::shared_ptr<spdlog::sinks::sink> stderr_sink(log_format format, bool localtime) {
  auto s = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  s->set_formatter(std::make_unique<line_formatter>(format, localtime));
  return s;
}

std::shared_ptr<spdlog::sinks::sink> current_sink() {
  std::lock_guard lock(g_sink_mutex);
  if (!g_sink) g_sink = stderr_sink(log_format::text, false);
  return g_sink;
}

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

void set_log_level(log_level level) { g_level.store(static_cast<int>(level), std::memory_order_relaxed); }
log_level current_log_level() { return static_cast<log_level>(g_level.load(std::memory_order_relaxed)); }
bool log_enabled(log_level level) { return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed); }

std::string format_log_line(log_format format, bool localtime, system_clock::time_point when, log_level level,
                            std::string_view component, std::string_view message) {
  std::string out;
  out.reserve(48 + component.size() + message.size());
  if (format == log_format::json) {
    out += "{\"time\":\"" + line_time(when, localtime) + "\",\"level\":\"";
    out += to_string(level);
    out += "\",\"component\":";
    json_escape(out, component);
    out += ",\"message\":";
    json_escape(out, message);
    out += '}';
    return out;
  }
  out += line_time(when, localtime);
  out += ' ';
  std::string_view name = to_string(level);
  out += name;
  out.append(name.size() < 5 ? 5 - name.size() : 0, ' ');
  out += ' ';
  out += component;
  out += ": ";
  out += message;
  return out;
}

void write_log(log_level level, std::string_view component, std::string_view message) {
  spdlog::details::log_msg msg(spdlog::string_view_t(component.data(), component.size()), to_spdlog(level),
                               spdlog::string_view_t(message.data(), message.size()));
  current_sink()->log(msg);
}

void configure_log(const log_options& options) {
  std::shared_ptr<spdlog::sinks::sink> next;
  if (options.filename.empty()) {
    next = stderr_sink(options.format, options.localtime);
  } else {
    try {
      auto s = std::make_shared<rotating_file_sink>(options);
      s->set_formatter(std::make_unique<line_formatter>(options.format, options.localtime));
      next = std::move(s);
    } catch (const spdlog::spdlog_ex& e) {
      throw std::runtime_error("cannot open log file " + options.filename + ": " + e.what());
    }
  }
  std::shared_ptr<spdlog::sinks::sink> previous;
  {
    std::lock_guard lock(g_sink_mutex);
    previous = std::exchange(g_sink, std::move(next));
  }
  if (previous) previous->flush();
}

void shutdown_log() { configure_log({}); }

}  // namespace warren
