// The real `warren` binary: command line, configuration errors, health endpoints against a real
// broker, and clean shutdown on SIGTERM.
#include <signal.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <regex>

#include "tests/support/kafka_harness.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/poll_until.hpp"
#include "tests/support/warren_process.hpp"

using namespace warren::test;
using namespace std::chrono_literals;
using warren::poll_until;

BOOST_AUTO_TEST_SUITE(binary)

BOOST_AUTO_TEST_CASE(version_and_help_exit_zero) {
  auto v = run_warren({"--version"});
  BOOST_TEST(v.exit_code == 0);
  BOOST_TEST(v.output.find("warren ") == 0u);
  auto h = run_warren({"--help"});
  BOOST_TEST(h.exit_code == 0);
  BOOST_TEST(h.output.find("--config-dir") != std::string::npos);
  auto bad = run_warren({"--frobnicate"});
  BOOST_TEST(bad.exit_code == 2);
}

struct bad_config_case {
  const char* name;
  const char* text;
  int line;
  const char* key;
};

BOOST_AUTO_TEST_CASE(broken_configs_exit_2_with_file_line_key) {
  const bad_config_case cases[] = {
      {"missing servers", "[cluster.local]\nclass-name = \"kafka\"\n", 1, "cluster.local.servers"},
      {"bad regex", "[cluster.local]\nservers = [\"127.0.0.1:9092\"]\n[consumer.local]\ncluster = \"local\"\n"
                    "group-denylist = \"([a-z\"\n",
       5, "consumer.local.group-denylist"},
      {"bad duration", "[cluster.local]\nservers = [\"127.0.0.1:9092\"]\noffset-refresh = \"10s\"\n", 3,
       "cluster.local.offset-refresh"},
      {"unknown key", "[cluster.local]\nservers = [\"127.0.0.1:9092\"]\noffset-refresh-typo = 5\n", 3,
       "cluster.local.offset-refresh-typo"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      auto file = write_temp_file("burrow.toml", c.text);
      auto r = run_warren({"--config", file.string()});
      BOOST_TEST(r.exit_code == 2);
      std::string expected = file.string() + ":" + std::to_string(c.line) + ": " + c.key + ": ";
      BOOST_TEST(r.output.find(expected) != std::string::npos, "expected '" << expected << "' in: " << r.output);
      auto check = run_warren({"--check-config", "--config", file.string()});
      BOOST_TEST(check.exit_code == 2);
    }
  }
  // A syntax error names the file and the line (no key: the parser could not tell one).
  auto file = write_temp_file("burrow.toml", "[cluster.local]\nservers = [\"127.0.0.1:9092\"\n");
  auto r = run_warren({"--config", file.string()});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(std::regex_search(r.output, std::regex(std::regex_replace(file.string(), std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") + ":[0-9]+: ")),
             r.output);
  // --config-dir finds burrow.toml like Burrow does; a missing file is a clear error.
  auto missing = run_warren({"--config-dir", "/nonexistent-warren-dir"});
  BOOST_TEST(missing.exit_code == 2);
  BOOST_TEST(missing.output.find("/nonexistent-warren-dir") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(shipped_configs_are_valid) {
  for (const char* f : {"config/warren.toml", "config/local.toml"}) {
    auto r = run_warren({"--check-config", "--config", source_dir() + "/" + f});
    BOOST_TEST(r.exit_code == 0, f << ": " << r.output);
  }
}

BOOST_AUTO_TEST_CASE(serves_health_against_a_real_broker_and_stops_on_sigterm) {
  kafka_cluster kafka;
  warren_process w(cluster_config("local", kafka.bootstrap()));
  auto good = w.get("/burrow/admin");
  BOOST_TEST(good.status == 200u);
  BOOST_TEST(good.body == "GOOD");
  auto clusters = w.get("/v3/kafka");
  BOOST_TEST(clusters.status == 200u);
  BOOST_TEST(clusters.body.find("\"clusters\":[\"local\"]") != std::string::npos, clusters.body);
  BOOST_TEST(poll_until([&] { return w.get("/burrow/admin/ready").body == "READY"; }, 60s));

  auto start = std::chrono::steady_clock::now();
  ::kill(w.process().pid(), SIGTERM);
  auto status = w.process().wait_for(5s);
  auto took = std::chrono::steady_clock::now() - start;
  BOOST_REQUIRE(status.has_value());
  BOOST_TEST(*status == 0);
  BOOST_TEST(took < 2s, "shutdown took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
}

BOOST_AUTO_TEST_SUITE_END()
