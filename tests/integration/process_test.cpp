// The real `warren` binary and the files [general] and [logging] ask for: the PID file (written,
// removed on SIGTERM, refusing a live one, replacing a stale one), the log file with size rotation
// and maxbackups, stdout-logfile, and --check-config exit codes for the keys issue 8 added.
//
// No broker is needed: the cluster points at a closed port (127.0.0.1:1), Warren serves HTTP anyway
// and librdkafka's connection churn is logged at warn, never error.
#include <signal.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <regex>
#include <sstream>
#include <string>

#include "tests/support/http_client.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/poll_until.hpp"
#include "tests/support/process_files.hpp"
#include "tests/support/warren_process.hpp"

using namespace warren::test;
using namespace std::chrono_literals;
using warren::poll_until;

namespace {

// A cluster whose broker refuses connections, plus the given sections.
std::string config_with(const std::string& sections) {
  return sections + "\n" + cluster_config("local", "127.0.0.1:1");
}

std::string general(const temp_directory& dir, const std::string& extra = "") {
  return "[general]\npidfile = \"" + (dir / "warren.pid").string() + "\"\n" + extra;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(process)

BOOST_AUTO_TEST_CASE(pid_file_is_written_at_start_and_removed_on_sigterm) {
  temp_directory dir;
  warren_process w(config_with(general(dir)));
  BOOST_TEST(trimmed(read_text(dir / "warren.pid")) == std::to_string(w.process().pid()));
  ::kill(w.process().pid(), SIGTERM);
  auto status = w.process().wait_for(10s);
  BOOST_REQUIRE(status.has_value());
  BOOST_TEST(*status == 0);
  BOOST_TEST(!std::filesystem::exists(dir / "warren.pid"), w.output());
}

BOOST_AUTO_TEST_CASE(refuses_to_start_when_the_pid_file_names_a_live_process) {
  temp_directory dir;
  const std::string mine = std::to_string(::getpid());  // this test process: certainly alive
  write_text(dir / "warren.pid", mine + "\n");
  auto file = dir / "warren.toml";
  write_text(file, config_with(general(dir)) + "[httpserver.default]\naddress = \"127.0.0.1:0\"\n");
  auto r = run_warren({"--config", file.string()});
  BOOST_TEST(r.exit_code == 1, r.output);
  BOOST_TEST(r.output.find("PID file " + (dir / "warren.pid").string() + " names process " + mine +
                           ", which is running: stop it, or set general.pidfile to another path") != std::string::npos,
             r.output);
  BOOST_TEST(trimmed(read_text(dir / "warren.pid")) == mine);  // left alone
}

BOOST_AUTO_TEST_CASE(a_stale_pid_file_is_replaced) {
  temp_directory dir;
  write_text(dir / "warren.pid", std::to_string(dead_pid()) + "\n");
  warren_process w(config_with(general(dir)));
  BOOST_TEST(trimmed(read_text(dir / "warren.pid")) == std::to_string(w.process().pid()));
  BOOST_TEST(poll_until([&] { return w.output().find("replaced stale PID file") != std::string::npos; }, 5s), w.output());
}

BOOST_AUTO_TEST_CASE(log_file_is_written_and_rotated_at_its_size_keeping_maxbackups) {
  temp_directory dir;
  auto log = dir / "warren.log";
  warren_process w(config_with(general(dir) + "\n[logging]\nfilename = \"" + log.string() +
                               "\"\nlevel = \"debug\"\nmaxsize-bytes = 2000\nmaxbackups = 2\n"));
  BOOST_TEST(poll_until([&] { return read_text(log).find(" info  app: warren ") != std::string::npos; }, 5s));
  BOOST_TEST(w.output().find("app: warren") == std::string::npos, "log lines went to stderr too:\n" << w.output());
  // Each admin call logs one line ("log level set to debug", ~70 bytes): 300 calls ≈ 10 rotations.
  for (int i = 0; i < 300; ++i) {
    auto r = http_call(w.port(), "POST", "/v3/admin/loglevel", R"({"level":"debug"})");
    BOOST_REQUIRE(r.status == 200u);
  }
  const std::regex backup(R"(warren-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}\.log)");
  auto settled = [&] {
    auto names = file_names(dir.path());
    int backups = 0;
    for (const auto& n : names) backups += std::regex_match(n, backup);
    return backups == 2;
  };
  BOOST_TEST(poll_until(settled, 10s));
  auto names = file_names(dir.path());
  BOOST_TEST(names.size() == 4u);  // 2 backups, warren.log, warren.pid
  for (const auto& n : names) {
    if (n == "warren.pid") continue;
    auto size = std::filesystem::file_size(dir / n);
    BOOST_TEST(size <= 2000u, n << ": " << size << " bytes");
    if (n != "warren.log") BOOST_TEST(size > 1800u, n << ": " << size << " bytes");
  }
  BOOST_TEST(read_text(log).find("http: log level set to debug") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(stdout_logfile_receives_the_output) {
  temp_directory dir;
  auto out = dir / "warren.out";
  write_text(out, "before\n");
  warren_process w(config_with(general(dir, "stdout-logfile = \"" + out.string() + "\"\n")));
  BOOST_TEST(poll_until([&] { return read_text(out).find("app: warren ") != std::string::npos; }, 5s), read_text(out));
  BOOST_TEST(read_text(out).rfind("before\n", 0) == 0u);  // appended, not truncated
  BOOST_TEST(w.output().find("app: warren") == std::string::npos, w.output());
}

BOOST_AUTO_TEST_CASE(json_log_format_writes_one_object_per_line) {
  temp_directory dir;
  warren_process w(config_with(general(dir) + "\n[logging]\nformat = \"json\"\n"));
  BOOST_TEST(poll_until([&] { return w.output().find("\"component\":\"app\"") != std::string::npos; }, 5s), w.output());
  std::regex line(R"re(\{"time":"[^"]+Z","level":"(debug|info|warn|error)","component":"[^"]*","message":".*"\})re");
  std::istringstream in(w.output());
  for (std::string l; std::getline(in, l);) BOOST_TEST(std::regex_match(l, line), l);
}

BOOST_AUTO_TEST_CASE(librdkafka_connection_churn_is_never_an_error) {
  temp_directory dir;
  warren_process w(config_with(general(dir)));
  BOOST_TEST(poll_until([&] { return w.output().find("Connection refused") != std::string::npos; }, 20s), w.output());
  std::istringstream in(w.output());
  for (std::string l; std::getline(in, l);) {
    if (l.find("librdkafka") != std::string::npos) BOOST_TEST(l.find(" error ") == std::string::npos, l);
  }
}

BOOST_AUTO_TEST_CASE(unwritable_log_file_fails_start_up_with_exit_1) {
  temp_directory dir;
  auto file = dir / "warren.toml";
  write_text(file, config_with(general(dir) + "\n[logging]\nfilename = \"/proc/warren-no/warren.log\"\n"));
  auto r = run_warren({"--config", file.string()});
  BOOST_TEST(r.exit_code == 1, r.output);
  BOOST_TEST(r.output.find("cannot open log file /proc/warren-no/warren.log") != std::string::npos, r.output);
  BOOST_TEST(!std::filesystem::exists(dir / "warren.pid"));  // the log is opened before the PID file
}

struct check_case {
  const char* name;
  std::string text;
  int line;
  const char* key;
  const char* reason;
};

BOOST_AUTO_TEST_CASE(check_config_exit_codes_for_issue_8_keys) {
  const std::string c = "[cluster.local]\nservers = [\"127.0.0.1:9092\"]\n";
  const check_case cases[] = {
      {"intervals above the store's limit", c + "[storage.default]\nintervals = 4097\n", 4, "storage.default.intervals",
       "must be 1..4096, got 4097"},
      {"unknown consumer profile", c + "[consumer.local]\ncluster = \"local\"\nclient-profile = \"nope\"\n", 5,
       "consumer.local.client-profile", "\"nope\" is not defined (no [client-profile.nope])"},
      {"handshake-first false", c + "[sasl.s]\nhandshake-first = false\n", 4, "sasl.s.handshake-first",
       "false is not supported"},
      {"bad kafka-version", c + "[client-profile.default]\nkafka-version = \"2.8\"\n", 4,
       "client-profile.default.kafka-version", "not a Kafka version \"2.8\""},
      {"zero timeout", c + "[client-profile.default]\nread-timeout = 0\n", 4, "client-profile.default.read-timeout",
       "must be at least 1 (seconds), got 0"},
      {"no cluster", "[storage.default]\nintervals = 10\n", 1, "cluster", "no [cluster.NAME] section"},
      {"bad log format", c + "[logging]\nformat = \"xml\"\n", 4, "logging.format", "unknown log format \"xml\""},
  };
  for (const auto& k : cases) {
    BOOST_TEST_CONTEXT(k.name) {
      auto file = write_temp_file("warren.toml", k.text);
      for (bool check : {true, false}) {
        std::vector<std::string> args{"--config", file.string()};
        if (check) args.insert(args.begin(), "--check-config");
        auto r = run_warren(args);
        BOOST_TEST(r.exit_code == 2, r.output);
        std::string expected = file.string() + ":" + std::to_string(k.line) + ": " + k.key + ": " + k.reason;
        BOOST_TEST(r.output.find(expected) != std::string::npos, "expected '" << expected << "' in: " << r.output);
      }
    }
  }
  // An empty template passes only when asked for; --allow-empty alone is a usage error.
  auto empty = write_temp_file("warren.toml", "[storage.default]\nintervals = 10\n");
  BOOST_TEST(run_warren({"--check-config", "--allow-empty", "--config", empty.string()}).exit_code == 0);
  auto alone = run_warren({"--allow-empty", "--config", empty.string()});
  BOOST_TEST(alone.exit_code == 2);
  BOOST_TEST(alone.output.find("--allow-empty only applies to --check-config") != std::string::npos, alone.output);
  auto reference = run_warren({"--check-config", "--config", source_dir() + "/config/warren.toml"});
  BOOST_TEST(reference.exit_code == 0, reference.output);
}

BOOST_AUTO_TEST_SUITE_END()
