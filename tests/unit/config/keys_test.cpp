// Issue 8: no key is silently ignored. Every range and reference check the loader adds, with the
// exact `FILE:LINE: KEY: reason` text users see, and what the accepted keys turn into.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "service/config/load.hpp"
#include "service/app_settings.hpp"

using namespace warren;

namespace {

const std::string cluster = "[cluster.local]\nservers = [\"kafka:9092\"]\n";

std::vector<std::string> error_lines(const std::string& text, const load_options& options = {}) {
  auto r = parse_config(text, "inline.toml", no_environment, options);
  if (r) return {};
  std::vector<std::string> out;
  for (const auto& e : r.error()) out.push_back(e.to_string());
  return out;
}

// The text yields exactly these error lines.
void expect_errors(const std::string& text, const std::vector<std::string>& expected) {
  auto got = error_lines(text);
  BOOST_TEST(got == expected, boost::test_tools::per_element());
}

config parse_ok(const std::string& text) {
  auto r = parse_config(text, "inline.toml", no_environment);
  if (!r) BOOST_FAIL("unexpected errors:\n" + format_errors(r.error()));
  return *r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config_keys)

BOOST_AUTO_TEST_CASE(storage_intervals_is_limited_to_what_the_store_holds) {
  expect_errors(cluster + "[storage.default]\nintervals = 4097\n",
                {"inline.toml:4: storage.default.intervals: must be 1..4096, got 4097"});
  expect_errors(cluster + "[storage.default]\nintervals = 0\n",
                {"inline.toml:4: storage.default.intervals: must be 1..4096, got 0"});
  BOOST_TEST(parse_ok(cluster + "[storage.default]\nintervals = 4096\n").the_storage().intervals == 4096);
}

BOOST_AUTO_TEST_CASE(timeouts_refresh_periods_and_ports_must_be_in_range) {
  expect_errors(cluster +
                    "offset-refresh = 0\n"
                    "topic-refresh = -1\n"
                    "[client-profile.default]\ndial-timeout = 0\nread-timeout = 0\n"
                    "[httpserver.default]\naddress = \":0\"\ntimeout = 0\n"
                    "[notifier.mail]\nclass-name = \"email\"\ntemplate-open = \"t\"\nserver = \"smtp\"\n"
                    "port = 70000\nfrom = \"a@b\"\nto = \"c@d\"\ninterval = 0\n"
                    "[warren]\neval-interval = 0\n",
                {
                    "inline.toml:3: cluster.local.offset-refresh: must be at least 1 (seconds), got 0",
                    "inline.toml:4: cluster.local.topic-refresh: must not be negative (seconds), got -1",
                    "inline.toml:6: client-profile.default.dial-timeout: must be at least 1 (seconds), got 0",
                    "inline.toml:7: client-profile.default.read-timeout: must be at least 1 (seconds), got 0",
                    "inline.toml:10: httpserver.default.timeout: must be at least 1 (seconds), got 0",
                    "inline.toml:15: notifier.mail.port: must be 1..65535, got 70000",
                    "inline.toml:18: notifier.mail.interval: must be at least 1 (seconds), got 0",
                    "inline.toml:20: warren.eval-interval: must be at least 1 (seconds), got 0",
                });
}

BOOST_AUTO_TEST_CASE(a_file_without_a_cluster_is_an_error_unless_a_template_is_checked) {
  const std::string reason =
      "no [cluster.NAME] section: Warren has nothing to monitor; add one such as [cluster.local] with "
      "servers = [\"kafka:9092\"] (or check a template with --check-config --allow-empty)";
  expect_errors("", {"inline.toml:1: cluster: " + reason});
  expect_errors("[storage.default]\nintervals = 10\n", {"inline.toml:1: cluster: " + reason});
  BOOST_TEST(error_lines("", load_options{.allow_no_cluster = true}).empty());
  // A broken cluster is reported where it is, not as a missing one.
  expect_errors("[cluster.local]\nclass-name = \"kafka\"\n", {"inline.toml:1: cluster.local.servers: missing required key"});
}

BOOST_AUTO_TEST_CASE(consumer_must_name_an_existing_client_profile_and_cluster) {
  expect_errors(cluster + "[consumer.local]\ncluster = \"local\"\nclient-profile = \"nope\"\n",
                {"inline.toml:5: consumer.local.client-profile: \"nope\" is not defined (no [client-profile.nope])"});
  expect_errors(cluster + "[consumer.local]\ncluster = \"remote\"\n",
                {"inline.toml:4: consumer.local.cluster: \"remote\" is not defined (no [cluster.remote])"});
  expect_errors(cluster + "client-profile = \"gone\"\n",
                {"inline.toml:3: cluster.local.client-profile: \"gone\" is not defined (no [client-profile.gone])"});
}

BOOST_AUTO_TEST_CASE(kafka_version_must_be_a_sarama_version_string) {
  const std::string tail = " (X.Y.Z such as \"2.8.0\", or 0.X.Y.Z such as \"0.10.2.0\")";
  for (const char* bad : {"2.8", "1.0.0.0", "latest", "2.8.0-rc1", "v2.8.0"}) {
    BOOST_TEST_CONTEXT(bad) {
      expect_errors(cluster + "[client-profile.default]\nkafka-version = \"" + bad + "\"\n",
                    {"inline.toml:4: client-profile.default.kafka-version: not a Kafka version \"" + std::string(bad) +
                     "\"" + tail});
    }
  }
  for (const char* good : {"2.8.0", "3.7.1", "0.10.2.0", "0.10.0", "0.9.0.1"}) {
    BOOST_TEST_CONTEXT(good) {
      auto cfg = parse_ok(cluster + "[client-profile.default]\nkafka-version = \"" + good + "\"\n");
      BOOST_TEST(cfg.client_profiles.at("default").kafka_version == good);
    }
  }
}

BOOST_AUTO_TEST_CASE(sasl_handshake_first_false_is_rejected_and_defaults_to_true) {
  expect_errors(cluster + "[sasl.s]\nusername = \"u\"\nhandshake-first = false\n",
                {"inline.toml:5: sasl.s.handshake-first: false is not supported: librdkafka always sends "
                 "SaslHandshake first, as every broker with PLAIN or SCRAM (Kafka 0.10+) requires; remove the key "
                 "or set it to true"});
  BOOST_TEST(parse_ok(cluster + "[sasl.s]\nusername = \"u\"\n").sasl.at("s").handshake_first);
  BOOST_TEST(parse_ok(cluster + "[sasl.s]\nhandshake-first = true\n").sasl.at("s").handshake_first);
}

BOOST_AUTO_TEST_CASE(client_profile_naming_an_iam_profile_is_rejected_with_what_to_use) {
  expect_errors(cluster + "[iam.msk]\nregion = \"eu-west-1\"\n[tls.t]\n[client-profile.default]\ntls = \"t\"\niam = \"msk\"\n",
                {"inline.toml:8: client-profile.default.iam: AWS MSK IAM authentication is not supported by Warren "
                 "(librdkafka has no AWS_MSK_IAM mechanism); use SASL/SCRAM on MSK instead: sasl = \"NAME\" with "
                 "[sasl.NAME] mechanism = \"SCRAM-SHA-512\" and tls"});
  BOOST_TEST(parse_ok(cluster + "[iam.msk]\nregion = \"eu-west-1\"\n").iam.size() == 1u);  // defined, unused: loads
}

BOOST_AUTO_TEST_CASE(logging_keys_are_validated) {
  expect_errors(cluster + "[logging]\nformat = \"xml\"\nmaxsize = -1\nmaxsize-bytes = -5\nmaxbackups = -1\nmaxage = -1\n",
                {
                    "inline.toml:4: logging.format: unknown log format \"xml\" (\"text\" or \"json\")",
                    "inline.toml:5: logging.maxsize: must be 0..1000000, got -1",
                    "inline.toml:6: logging.maxsize-bytes: must be 0..1125899906842624, got -5",
                    "inline.toml:7: logging.maxbackups: must be 0..1000000, got -1",
                    "inline.toml:8: logging.maxage: must be 0..100000, got -1",
                });
  auto cfg = parse_ok(cluster + "[logging]\nformat = \"json\"\nmaxsize = 3\nuse-localtime = true\nuse-compression = true\n");
  BOOST_TEST(cfg.logging.format == "json");
  BOOST_TEST(cfg.logging.rotate_bytes() == 3 * 1024 * 1024);
  BOOST_TEST(cfg.logging.use_localtime);
  BOOST_TEST(cfg.logging.use_compression);
  BOOST_TEST(parse_ok(cluster + "[logging]\nmaxsize-bytes = 4096\n").logging.rotate_bytes() == 4096);
  BOOST_TEST(parse_ok(cluster + "[logging]\nmaxsize = 0\n").logging.rotate_bytes() == 100 * 1024 * 1024);
  BOOST_TEST(parse_ok(cluster).logging.format == "text");
}

BOOST_AUTO_TEST_CASE(consumer_self_report_is_read_and_kafka_only) {
  auto cfg = parse_ok(cluster + "[consumer.a]\ncluster = \"local\"\n[consumer.b]\ncluster = \"local\"\nself-report = false\n");
  BOOST_TEST(cfg.consumers.at("a").self_report);
  BOOST_TEST(!cfg.consumers.at("b").self_report);
  expect_errors(cluster + "[consumer.a]\ncluster = \"local\"\nself-report = \"no\"\n",
                {"inline.toml:5: consumer.a.self-report: expected true or false, got a string (\"no\")"});
  expect_errors(cluster + "[consumer.zk]\nclass-name = \"kafka_zk\"\ncluster = \"local\"\nservers = [\"zk:2181\"]\n"
                          "self-report = true\n",
                {"inline.toml:7: consumer.zk.self-report: not used by class-name \"kafka_zk\""});
}

BOOST_AUTO_TEST_CASE(settings_map_old_kafka_versions_to_librdkafka_fallback_and_reject_unknown_profiles) {
  auto cfg = parse_ok(cluster + "[client-profile.old]\nkafka-version = \"0.9.0.1\"\n"
                                "[client-profile.new]\nkafka-version = \"3.5.0\"\n"
                                "[cluster.b]\nservers = [\"k:9092\"]\nclient-profile = \"old\"\n"
                                "[cluster.c]\nservers = [\"k:9092\"]\nclient-profile = \"new\"\n");
  auto old_settings = kafka::settings_for(cfg, {"k:9092"}, "old");
  BOOST_TEST(old_settings.properties.at("api.version.request") == "false");
  BOOST_TEST(old_settings.properties.at("broker.version.fallback") == "0.9.0.1");
  BOOST_TEST(old_settings.name.empty());
  auto new_settings = kafka::settings_for(cfg, {"k:9092"}, "new");
  BOOST_TEST(!new_settings.properties.contains("api.version.request"));
  BOOST_TEST(!new_settings.properties.contains("broker.version.fallback"));
  BOOST_CHECK_THROW(kafka::settings_for(cfg, {"k:9092"}, "missing"), std::invalid_argument);
  BOOST_TEST(kafka::settings_for(config{}, {"k:9092"}, "").client_id == "burrow-lagchecker");

  auto notes = kafka::kafka_version_notes(cfg);
  BOOST_TEST(notes == (std::vector<std::string>{
                         "client-profile new: kafka-version 3.5.0 is accepted for compatibility only; librdkafka "
                         "negotiates protocol versions with each broker",
                         "client-profile old: kafka-version 0.9.0.1 predates ApiVersionRequest; librdkafka uses "
                         "api.version.request=false, broker.version.fallback=0.9.0.1"}),
             boost::test_tools::per_element());
  BOOST_TEST(kafka::kafka_version_notes(parse_ok(cluster)).empty());
}

BOOST_AUTO_TEST_SUITE_END()
