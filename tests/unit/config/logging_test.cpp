// [logging] at work: the line formats, lumberjack-style rotation (maxsize, maxbackups, maxage,
// use-compression, use-localtime names), lines from many threads, and librdkafka's own lines
// (level mapping by content, deduplication per outage).
#include <boost/test/unit_test.hpp>

#include <zlib.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "service/core/log.hpp"
#include "service/kafka/client.hpp"
#include "tests/support/poll_until.hpp"

using namespace warren;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::chrono::system_clock::time_point at_utc(int y, int mo, int d, int h, int mi, int s, int ms) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return std::chrono::system_clock::from_time_t(timegm(&tm)) + std::chrono::milliseconds(ms);
}

fs::path temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "warren-log-XXXXXX").string();
  BOOST_REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  return tmpl;
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string gunzip(const fs::path& p) {
  gzFile f = gzopen(p.c_str(), "rb");
  BOOST_REQUIRE(f != nullptr);
  std::string out;
  char buf[4096];
  int n = 0;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  gzclose(f);
  return out;
}

// Restores stderr logging and the level whatever a test did.
struct log_guard {
  log_level level = current_log_level();
  ~log_guard() {
    shutdown_log();
    set_log_level(level);
  }
};

const std::regex backup_name(R"(warren-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}\.log(\.gz)?)");

}  // namespace

BOOST_AUTO_TEST_SUITE(logging)

BOOST_AUTO_TEST_CASE(text_line_is_time_level_component_message) {
  auto t = at_utc(2024, 5, 1, 12, 0, 0, 7);
  BOOST_TEST(format_log_line(log_format::text, false, t, log_level::info, "app", "started") ==
             "2024-05-01T12:00:00.007Z info  app: started");
  BOOST_TEST(format_log_line(log_format::text, false, t, log_level::error, "main", "x") ==
             "2024-05-01T12:00:00.007Z error main: x");
}

BOOST_AUTO_TEST_CASE(json_line_is_one_escaped_object) {
  auto t = at_utc(2024, 5, 1, 12, 0, 0, 123);
  BOOST_TEST(format_log_line(log_format::json, false, t, log_level::warn, "kafka \"x\"", "a\\b\nc\x01") ==
             R"({"time":"2024-05-01T12:00:00.123Z","level":"warn","component":"kafka \"x\"","message":"a\\b\nc\u0001"})");
}

BOOST_AUTO_TEST_CASE(localtime_lines_carry_the_utc_offset) {
  auto t = at_utc(2024, 1, 15, 12, 0, 0, 0);
  std::string line = format_log_line(log_format::text, true, t, log_level::info, "app", "m");
  BOOST_TEST(std::regex_match(line, std::regex(R"(2024-01-1\dT\d{2}:\d{2}:00\.000[+-]\d{2}:\d{2} info  app: m)")), line);
}

BOOST_AUTO_TEST_CASE(level_is_atomic_and_parsed_like_burrow) {
  log_guard g;
  set_log_level(log_level::warn);
  BOOST_TEST(!log_enabled(log_level::info));
  BOOST_TEST(log_enabled(log_level::error));
  BOOST_TEST((parse_log_level("WARNING") == log_level::warn));
  BOOST_TEST((parse_log_level("trace") == log_level::debug));
  BOOST_TEST((parse_log_level("panic") == log_level::error));
  BOOST_TEST(!parse_log_level("verbose").has_value());
}

BOOST_AUTO_TEST_CASE(file_rotates_at_its_size_and_keeps_maxbackups) {
  log_guard g;
  set_log_level(log_level::debug);
  auto dir = temp_dir();
  log_options o;
  o.filename = (dir / "warren.log").string();
  o.max_bytes = 1000;
  o.max_backups = 3;
  configure_log(o);
  const std::string payload(90, 'x');  // ~130 bytes a line: 7 lines a file
  for (int i = 0; i < 100; ++i) log_info("test", i, " ", payload);
  // Clean-up runs on the log's own thread after each rotation.
  BOOST_TEST(poll_until([&] { return names_in(dir).size() == 4u; }, 10s), names_in(dir).size());
  auto names = names_in(dir);
  BOOST_TEST(std::count(names.begin(), names.end(), "warren.log") == 1);
  for (const auto& n : names) {
    if (n == "warren.log") continue;
    BOOST_TEST(std::regex_match(n, backup_name), n);
    auto size = fs::file_size(dir / n);
    BOOST_TEST(size <= 1000u, n << " is " << size << " bytes");
    BOOST_TEST(size > 800u, n << " is " << size << " bytes");
  }
  // The newest lines are in the live file, and the last backup ends where it begins.
  std::string live = read_file(dir / "warren.log");
  BOOST_TEST(live.find(" 99 ") != std::string::npos);
  BOOST_TEST(read_file(dir / names[2]).find(" 98 ") == std::string::npos);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(rotated_files_are_gzipped_when_asked) {
  log_guard g;
  auto dir = temp_dir();
  log_options o;
  o.filename = (dir / "warren.log").string();
  o.max_bytes = 500;
  o.max_backups = 0;  // keep all
  o.compress = true;
  configure_log(o);
  for (int i = 0; i < 20; ++i) log_info("test", "line ", i, " ", std::string(60, 'y'));
  auto gz_count = [&] {
    auto names = names_in(dir);
    return std::count_if(names.begin(), names.end(), [](const std::string& n) { return n.ends_with(".log.gz"); });
  };
  auto plain_backups = [&] {
    auto names = names_in(dir);
    return std::count_if(names.begin(), names.end(),
                         [](const std::string& n) { return n != "warren.log" && n.ends_with(".log"); });
  };
  BOOST_TEST(poll_until([&] { return gz_count() >= 3 && plain_backups() == 0; }, 10s),
             gz_count() << " compressed, " << plain_backups() << " plain backups");
  shutdown_log();
  std::string all;
  for (const auto& n : names_in(dir)) all += n.ends_with(".gz") ? gunzip(dir / n) : read_file(dir / n);
  for (int i = 0; i < 20; ++i) BOOST_TEST(all.find("line " + std::to_string(i) + " ") != std::string::npos, i);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(backups_older_than_maxage_are_deleted_at_start) {
  log_guard g;
  auto dir = temp_dir();
  std::ofstream(dir / "warren-2001-01-01T00-00-00.000.log") << "ancient\n";
  std::ofstream(dir / "warren-2001-01-02T00-00-00.000.log.gz") << "ancient\n";
  std::ofstream(dir / "unrelated-2001-01-01T00-00-00.000.log") << "not ours\n";
  auto recent = std::chrono::system_clock::now() - 24h;
  std::time_t t = std::chrono::system_clock::to_time_t(recent);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char recent_name[64];
  std::strftime(recent_name, sizeof recent_name, "warren-%Y-%m-%dT%H-%M-%S.000.log", &tm);
  std::ofstream(dir / recent_name) << "yesterday\n";
  log_options o;
  o.filename = (dir / "warren.log").string();
  o.max_age_days = 30;
  configure_log(o);
  BOOST_TEST(poll_until([&] { return names_in(dir).size() == 3u; }, 10s));
  BOOST_TEST(names_in(dir) == (std::vector<std::string>{"unrelated-2001-01-01T00-00-00.000.log", recent_name,
                                                         "warren.log"}),
             boost::test_tools::per_element());
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(lines_from_many_threads_never_interleave) {
  log_guard g;
  auto dir = temp_dir();
  log_options o;
  o.filename = (dir / "warren.log").string();
  o.format = log_format::json;
  o.max_bytes = std::int64_t{1} << 30;
  configure_log(o);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([t] {
      for (int i = 0; i < 500; ++i) log_info("thread", "t", t, " i", i, " ", std::string(200, 'a' + t));
    });
  for (auto& th : threads) th.join();
  shutdown_log();
  std::istringstream in(read_file(dir / "warren.log"));
  std::string line;
  std::set<std::string> seen;
  const std::regex shape(R"(\{"time":"[^"]+","level":"info","component":"thread","message":"(t\d i\d+) ([a-d])\2{199}"\})");
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_match(line, m, shape)) BOOST_FAIL("mangled line: " << line);
    seen.insert(m[1]);
  }
  BOOST_TEST(seen.size() == 2000u);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(unwritable_log_file_is_a_clear_error) {
  log_guard g;
  log_options o;
  o.filename = "/proc/warren-cannot-write-here/warren.log";
  try {
    configure_log(o);
    BOOST_FAIL("configure_log should throw");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()).find("cannot open log file /proc/warren-cannot-write-here/warren.log") == 0u,
               e.what());
  }
}

// ---- librdkafka's lines ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(librdkafka_connection_churn_is_warn_at_most) {
  struct row {
    int syslog;
    const char* fac;
    const char* message;
    log_level expected;
  };
  const row rows[] = {
      {3, "FAIL", "127.0.0.1:9092/bootstrap: Connect to ipv4#127.0.0.1:9092 failed: Connection refused (after 0ms in state CONNECT)", log_level::warn},
      {3, "ERROR", "1/1 brokers are down", log_level::warn},
      {3, "FAIL", "127.0.0.1:9092/1: Disconnected (after 5012ms in state UP)", log_level::warn},
      {3, "FAIL", "kafka:9092/1: Receive failed: Connection reset by peer", log_level::warn},
      {4, "ERROR", "all brokers down", log_level::warn},
      {3, "SSL", "ssl.ca.location failed: no such file", log_level::error},
      {4, "CONFWARN", "Configuration property x is deprecated", log_level::warn},
      {5, "REQTMOUT", "something noteworthy", log_level::info},
      {6, "INFO", "informational", log_level::info},
      {7, "BROKER", "debugging", log_level::debug},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.message) { BOOST_TEST((kafka::rdkafka_log_level(r.syslog, r.fac, r.message) == r.expected)); }
  }
}

BOOST_AUTO_TEST_CASE(librdkafka_repeats_are_counted_and_summarised_when_things_change) {
  kafka::rdkafka_log_filter f;
  using line = kafka::rdkafka_log_filter::line;
  std::chrono::steady_clock::time_point t0{};
  const char* refused = "b:9092/1: Connect to ipv4#b:9092 failed: Connection refused (after 0ms in state CONNECT)";
  auto first = f.on_log(3, "FAIL", refused, t0);
  BOOST_TEST((first == std::vector<line>{{log_level::warn, std::string("FAIL: ") + refused}}));
  // librdkafka retries every second: the same kind (its "(after ...)" suffix aside) is only counted.
  for (int i = 1; i <= 30; ++i)
    BOOST_TEST(f.on_log(3, "FAIL", "b:9092/1: Connect to ipv4#b:9092 failed: Connection refused (after 1ms in state CONNECT, 1 identical error(s) suppressed)",
                        t0 + std::chrono::seconds(i))
                   .empty());
  // Something else happens: the count comes first, then the new line.
  auto changed = f.on_log(3, "ERROR", "1/1 brokers are down", t0 + 31s);
  BOOST_REQUIRE(changed.size() == 2u);
  BOOST_TEST(changed[0].text == std::string("FAIL: ") + refused + " (repeated 30 times in the last 30s)");
  BOOST_TEST((changed[0].level == log_level::warn));
  BOOST_TEST(changed[1].text == "ERROR: 1/1 brokers are down");
  // Nothing more was counted, so flush has nothing to say.
  BOOST_TEST(f.flush(t0 + 32s).empty());
}

BOOST_AUTO_TEST_CASE(librdkafka_line_after_a_quiet_period_is_a_new_outage) {
  kafka::rdkafka_log_filter f(kafka::rdkafka_log_filter::options{.quiet = 60s, .summary_every = 300s});
  std::chrono::steady_clock::time_point t0{};
  BOOST_TEST(f.on_log(3, "FAIL", "x: Disconnected", t0).size() == 1u);
  BOOST_TEST(f.on_log(3, "FAIL", "x: Disconnected", t0 + 10s).empty());
  auto again = f.on_log(3, "FAIL", "x: Disconnected", t0 + 200s);
  BOOST_REQUIRE(again.size() == 2u);
  BOOST_TEST(again[0].text == "FAIL: x: Disconnected (repeated 1 times in the last 190s)");
  BOOST_TEST(again[1].text == "FAIL: x: Disconnected");
}

BOOST_AUTO_TEST_CASE(librdkafka_endless_repeats_get_a_periodic_summary_and_a_final_one) {
  kafka::rdkafka_log_filter f(kafka::rdkafka_log_filter::options{.quiet = 60s, .summary_every = 300s});
  std::chrono::steady_clock::time_point t0{};
  f.on_log(3, "ERROR", "1/1 brokers are down", t0);
  std::vector<kafka::rdkafka_log_filter::line> written;
  for (int i = 1; i <= 400; ++i) {
    auto out = f.on_log(3, "ERROR", "1/1 brokers are down", t0 + std::chrono::seconds(i));
    written.insert(written.end(), out.begin(), out.end());
  }
  BOOST_REQUIRE(written.size() == 1u);
  BOOST_TEST(written[0].text == "ERROR: 1/1 brokers are down (repeated 301 times in the last 300s)");
  auto last = f.flush(t0 + 401s);
  BOOST_REQUIRE(last.size() == 1u);
  BOOST_TEST(last[0].text == "ERROR: 1/1 brokers are down (repeated 99 times in the last 99s)");
}

BOOST_AUTO_TEST_SUITE_END()
