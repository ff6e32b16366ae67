// [consumer.X] class-name = "kafka-admin" (issue 13): its keys, defaults, and the keys refused on
// it and on the other consumer classes; the class kafka key `fallback` that switches to it.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>

#include "service/config/config.hpp"
#include "service/config/load.hpp"

using namespace warren;
using namespace std::chrono_literals;

namespace {

const std::string cluster = "[cluster.c]\nservers = [\"127.0.0.1:9092\"]\noffset-refresh = 7\n\n";

config parse_ok(const std::string& text) {
  auto r = parse_config(text, "inline.toml");
  if (!r) BOOST_FAIL("unexpected errors:\n" + format_errors(r.error()));
  return *r;
}

// The error for `key`, or "" when the text loads or has no error for that key.
std::string error_for(const std::string& text, const std::string& key) {
  auto r = parse_config(text, "inline.toml");
  if (r) return {};
  for (const auto& e : r.error())
    if (e.key == key) return e.reason;
  return {};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config_kafka_admin)

BOOST_AUTO_TEST_CASE(defaults_come_from_the_cluster) {
  auto cfg = parse_ok(cluster + "[consumer.m]\nclass-name = \"kafka-admin\"\ncluster = \"c\"\n");
  const auto& m = cfg.consumers.at("m");
  BOOST_TEST(m.class_name == "kafka-admin");
  BOOST_TEST(m.admin_offset_refresh.count() == 7);
  BOOST_TEST(m.admin_group_refresh.count() == 7);
  BOOST_TEST(m.admin_max_in_flight == 8);
  BOOST_TEST(m.admin_request_timeout.count() == 30);
  BOOST_TEST(m.admin_max_backoff.count() == 60);
  BOOST_TEST(m.servers == std::vector<std::string>{"127.0.0.1:9092"});
  BOOST_TEST(!m.self_report);  // nothing to report: no offsets-topic position
  BOOST_TEST(m.offsets_topic.empty());
}

BOOST_AUTO_TEST_CASE(its_own_keys_are_read) {
  auto cfg = parse_ok(cluster +
                      "[consumer.m]\nclass-name = \"kafka-admin\"\ncluster = \"c\"\noffset-refresh = 30\n"
                      "group-refresh = 120\nmax-in-flight = 32\nrequest-timeout = 5\nmax-backoff = 600\n");
  const auto& m = cfg.consumers.at("m");
  BOOST_TEST(m.admin_offset_refresh.count() == 30);
  BOOST_TEST(m.admin_group_refresh.count() == 120);
  BOOST_TEST(m.admin_max_in_flight == 32);
  BOOST_TEST(m.admin_request_timeout.count() == 5);
  BOOST_TEST(m.admin_max_backoff.count() == 600);
}

BOOST_AUTO_TEST_CASE(out_of_range_values_are_errors) {
  const std::string base = cluster + "[consumer.m]\nclass-name = \"kafka-admin\"\ncluster = \"c\"\n";
  BOOST_TEST(!error_for(base + "max-in-flight = 0\n", "consumer.m.max-in-flight").empty());
  BOOST_TEST(!error_for(base + "max-in-flight = 1001\n", "consumer.m.max-in-flight").empty());
  BOOST_TEST(!error_for(base + "offset-refresh = 0\n", "consumer.m.offset-refresh").empty());
  BOOST_TEST(!error_for(base + "request-timeout = 0\n", "consumer.m.request-timeout").empty());
}

BOOST_AUTO_TEST_CASE(topic_reader_keys_are_refused_on_kafka_admin) {
  const std::string base = cluster + "[consumer.m]\nclass-name = \"kafka-admin\"\ncluster = \"c\"\n";
  for (const std::string key : {"offsets-topic = \"x\"", "start-latest = true", "backfill-earliest = true",
                                "self-report = true", "zookeeper-path = \"/k\""}) {
    const auto name = key.substr(0, key.find(' '));
    auto reason = error_for(base + key + "\n", "consumer.m." + name);
    BOOST_TEST(reason.find("not used by class-name \"kafka-admin\"") != std::string::npos, key << ": " << reason);
  }
}

BOOST_AUTO_TEST_CASE(kafka_admin_keys_are_refused_on_the_other_classes) {
  for (const std::string cls : {"kafka", "kafka_zk"}) {
    const std::string base = cluster + "[consumer.m]\nclass-name = \"" + cls +
                             "\"\ncluster = \"c\"\nservers = [\"127.0.0.1:2181\"]\n";
    for (const std::string key : {"offset-refresh", "group-refresh", "max-in-flight", "request-timeout", "max-backoff"}) {
      auto reason = error_for(base + key + " = 5\n", "consumer.m." + key);
      BOOST_TEST(reason.find("not used by class-name \"" + cls + "\"") != std::string::npos, cls << " " << key << ": " << reason);
    }
  }
}

BOOST_AUTO_TEST_CASE(unknown_class_lists_kafka_admin) {
  auto reason = error_for(cluster + "[consumer.m]\nclass-name = \"kafka-rest\"\ncluster = \"c\"\n", "consumer.m.class-name");
  BOOST_TEST(reason.find("kafka-admin") != std::string::npos, reason);
}

BOOST_AUTO_TEST_CASE(kafka_falls_back_to_the_admin_api_by_default_with_its_defaults) {
  auto cfg = parse_ok(cluster + "[consumer.m]\nclass-name = \"kafka\"\ncluster = \"c\"\n");
  const auto& m = cfg.consumers.at("m");
  BOOST_TEST(m.fallback == "kafka-admin");
  BOOST_TEST(m.admin_offset_refresh.count() == 7);  // the cluster's offset-refresh
  BOOST_TEST(m.admin_group_refresh.count() == 7);
  BOOST_TEST(m.admin_max_in_flight == 8);
  BOOST_TEST(m.offsets_topic == "__consumer_offsets");
  BOOST_TEST(m.self_report);  // while it reads the topic
}

BOOST_AUTO_TEST_CASE(fallback_none_and_kafka_admin_are_read_and_anything_else_is_an_error) {
  const std::string base = cluster + "[consumer.m]\nclass-name = \"kafka\"\ncluster = \"c\"\n";
  BOOST_TEST(parse_ok(base + "fallback = \"none\"\n").consumers.at("m").fallback == "none");
  BOOST_TEST(parse_ok(base + "fallback = \"kafka-admin\"\n").consumers.at("m").fallback == "kafka-admin");
  for (const std::string bad : {"\"kafka_admin\"", "\"\"", "\"off\"", "false"}) {
    auto reason = error_for(base + "fallback = " + bad + "\n", "consumer.m.fallback");
    BOOST_TEST(!reason.empty(), bad);
    if (bad != "false") BOOST_TEST(reason.find("\"kafka-admin\"") != std::string::npos, bad << ": " << reason);
  }
}

BOOST_AUTO_TEST_CASE(fallback_is_refused_on_kafka_admin_and_kafka_zk) {
  for (const std::string cls : {"kafka-admin", "kafka_zk"}) {
    const std::string base = cluster + "[consumer.m]\nclass-name = \"" + cls +
                             "\"\ncluster = \"c\"\nservers = [\"127.0.0.1:2181\"]\n";
    auto reason = error_for(base + "fallback = \"none\"\n", "consumer.m.fallback");
    BOOST_TEST(reason.find("not used by class-name \"" + cls + "\"") != std::string::npos, cls << ": " << reason);
    BOOST_TEST(parse_ok(base).consumers.at("m").fallback == "none", cls);
  }
}

BOOST_AUTO_TEST_SUITE_END()
