// [consumer.X] cluster-group / cluster-group-session-timeout and [warren] cluster-group (issue 14),
// and the fleet keys that come with them: read, defaulted, refused where they cannot work, errors
// naming file, key and reason.
#include <boost/test/unit_test.hpp>

#include <string>

#include "service/config/load.hpp"

namespace warren {
namespace {

const std::string cluster = "[cluster.k]\nservers = [\"b:9092\"]\n\n";

config_result parse(const std::string& text) { return parse_config(cluster + text, "test.toml", no_environment); }

std::string errors_of(const config_result& r) { return r ? "" : format_errors(r.error()); }

}  // namespace

BOOST_AUTO_TEST_SUITE(cluster_group_config)

BOOST_AUTO_TEST_CASE(absent_means_every_partition_and_no_group) {
  auto r = parse("[consumer.c]\ncluster = \"k\"\n");
  BOOST_REQUIRE(r);
  const auto& c = r->consumers.at("c");
  BOOST_TEST(c.cluster_group.empty());
  BOOST_TEST(c.cluster_group_session_timeout.count() == 10);
  BOOST_TEST(c.fallback == "kafka-admin");  // unchanged without a group
  BOOST_TEST(r->warren.cluster_group.empty());
}

BOOST_AUTO_TEST_CASE(consumer_keys_are_read_and_fallback_defaults_to_none) {
  auto r = parse("[consumer.c]\ncluster = \"k\"\ncluster-group = \"fleet\"\ncluster-group-session-timeout = 6\n");
  BOOST_REQUIRE_MESSAGE(r, errors_of(r));
  const auto& c = r->consumers.at("c");
  BOOST_TEST(c.cluster_group == "fleet");
  BOOST_TEST(c.cluster_group_session_timeout.count() == 6);
  BOOST_TEST(c.fallback == "none");
}

BOOST_AUTO_TEST_CASE(warren_section_is_the_default_of_class_kafka_consumers_only) {
  auto r = parse(
      "[consumer.a]\ncluster = \"k\"\n\n"
      "[consumer.b]\ncluster = \"k\"\ncluster-group = \"own\"\n\n"
      "[consumer.admin]\nclass-name = \"kafka-admin\"\ncluster = \"k\"\n\n"
      "[warren]\ncluster-group = \"fleet\"\n");
  BOOST_REQUIRE_MESSAGE(r, errors_of(r));
  BOOST_TEST(r->warren.cluster_group == "fleet");
  BOOST_TEST(r->consumers.at("a").cluster_group == "fleet");
  BOOST_TEST(r->consumers.at("b").cluster_group == "own");
  BOOST_TEST(r->consumers.at("admin").cluster_group.empty());
  BOOST_TEST(r->consumers.at("a").fallback == "none");
}

BOOST_AUTO_TEST_CASE(warren_section_empty_means_none) {
  auto r = parse("[consumer.a]\ncluster = \"k\"\n\n[warren]\ncluster-group = \"\"\n");
  BOOST_REQUIRE_MESSAGE(r, errors_of(r));
  BOOST_TEST(r->consumers.at("a").cluster_group.empty());
  BOOST_TEST(r->consumers.at("a").fallback == "kafka-admin");
}

BOOST_AUTO_TEST_CASE(bad_values_are_errors_naming_file_key_and_reason) {
  struct row {
    std::string text, key, reason;
  };
  const row rows[] = {
      {"[consumer.c]\ncluster = \"k\"\ncluster-group = \"\"\n", "consumer.c.cluster-group", "must not be empty"},
      {"[consumer.c]\ncluster = \"k\"\ncluster-group = 5\n", "consumer.c.cluster-group", "expected a string"},
      {"[consumer.c]\nclass-name = \"kafka-admin\"\ncluster = \"k\"\ncluster-group = \"fleet\"\n",
       "consumer.c.cluster-group", "not used by class-name \"kafka-admin\""},
      {"[consumer.c]\nclass-name = \"kafka_zk\"\ncluster = \"k\"\nservers = [\"zk:2181\"]\ncluster-group = \"fleet\"\n",
       "consumer.c.cluster-group", "not used by class-name \"kafka_zk\""},
      {"[consumer.c]\ncluster = \"k\"\ncluster-group = \"fleet\"\nfallback = \"kafka-admin\"\n", "consumer.c.fallback",
       "cannot be used with cluster-group \"fleet\""},
      {"[consumer.c]\ncluster = \"k\"\ncluster-group-session-timeout = 10\n", "consumer.c.cluster-group-session-timeout",
       "requires cluster-group"},
      {"[consumer.c]\ncluster = \"k\"\ncluster-group = \"fleet\"\ncluster-group-session-timeout = 5\n",
       "consumer.c.cluster-group-session-timeout", "must be at least 6"},
      {"[consumer.c]\ncluster = \"k\"\ncluster-group = \"fleet\"\ncluster-group-session-timeout = 301\n",
       "consumer.c.cluster-group-session-timeout", "must be at most 300"},
      {"[consumer.c]\nclass-name = \"kafka-admin\"\ncluster = \"k\"\ncluster-group-session-timeout = 10\n",
       "consumer.c.cluster-group-session-timeout", "not used by class-name"},
      {"[warren]\ncluster-group = 1\n", "warren.cluster-group", "expected a string"},
  };
  for (const auto& r : rows) {
    auto got = parse(r.text);
    BOOST_TEST(!got, r.text);
    const std::string text = errors_of(got);
    BOOST_TEST(text.find("test.toml:") == 0, text);
    BOOST_TEST(text.find(r.key + ": ") != std::string::npos, text);
    BOOST_TEST(text.find(r.reason) != std::string::npos, text);
  }
}

BOOST_AUTO_TEST_SUITE_END()

// [consumer.X] status-topic / publish-interval / forward-timeout and [warren] advertised-url
// (issue 14 parts 2-3): defaults, values read, and every key refused where it cannot work.
BOOST_AUTO_TEST_SUITE(fleet_config)

BOOST_AUTO_TEST_CASE(a_cluster_group_gets_a_status_topic_named_after_it) {
  auto r = parse("[consumer.c]\ncluster = \"k\"\ncluster-group = \"fleet\"\n");
  BOOST_REQUIRE_MESSAGE(r, errors_of(r));
  const auto& c = r->consumers.at("c");
  BOOST_TEST(c.status_topic == "__warren_status_fleet");
  BOOST_TEST(c.publish_interval.count() == 5);
  BOOST_TEST(c.forward_timeout.count() == 2);
  BOOST_TEST(c.status_sync_timeout.count() == 15);
  BOOST_TEST(r->warren.advertised_url.empty());
  auto none = parse("[consumer.c]\ncluster = \"k\"\n");
  BOOST_REQUIRE(none);
  BOOST_TEST(none->consumers.at("c").status_topic.empty());
}

BOOST_AUTO_TEST_CASE(keys_are_read) {
  auto r = parse("[warren]\ncluster-group = \"fleet\"\nadvertised-url = \"http://w-1:8000/\"\n\n"
                 "[consumer.c]\ncluster = \"k\"\nstatus-topic = \"st\"\npublish-interval = 30\nforward-timeout = 9\n"
                 "status-sync-timeout = 40\n");
  BOOST_REQUIRE_MESSAGE(r, errors_of(r));
  const auto& c = r->consumers.at("c");
  BOOST_TEST(c.status_topic == "st");
  BOOST_TEST(c.publish_interval.count() == 30);
  BOOST_TEST(c.forward_timeout.count() == 9);
  BOOST_TEST(c.status_sync_timeout.count() == 40);
  BOOST_TEST(r->warren.advertised_url == "http://w-1:8000");  // a trailing slash is dropped
}

BOOST_AUTO_TEST_CASE(bad_values_and_keys_without_a_cluster_group_are_errors_naming_the_key) {
  struct row {
    std::string text, want;
  };
  const std::vector<row> table{
      {"[consumer.c]\ncluster = \"k\"\nstatus-topic = \"st\"\n", "consumer.c.status-topic: requires cluster-group"},
      {"[consumer.c]\ncluster = \"k\"\npublish-interval = 5\n", "consumer.c.publish-interval: requires cluster-group"},
      {"[consumer.c]\ncluster = \"k\"\nforward-timeout = 5\n", "consumer.c.forward-timeout: requires cluster-group"},
      {"[consumer.c]\ncluster = \"k\"\ncluster-group = \"f\"\nstatus-topic = \"\"\n", "consumer.c.status-topic: must not be empty"},
      {"[consumer.c]\ncluster = \"k\"\ncluster-group = \"f\"\npublish-interval = 0\n", "consumer.c.publish-interval: must be at least 1"},
      {"[consumer.c]\ncluster = \"k\"\ncluster-group = \"f\"\npublish-interval = 3601\n", "consumer.c.publish-interval: must be at most 3600"},
      {"[consumer.c]\ncluster = \"k\"\ncluster-group = \"f\"\nforward-timeout = 61\n", "consumer.c.forward-timeout: must be at most 60"},
      {"[consumer.c]\ncluster = \"k\"\nstatus-sync-timeout = 5\n", "consumer.c.status-sync-timeout: requires cluster-group"},
      {"[consumer.c]\ncluster = \"k\"\ncluster-group = \"f\"\nstatus-sync-timeout = 0\n", "consumer.c.status-sync-timeout: must be at least 1"},
      {"[consumer.c]\ncluster = \"k\"\ncluster-group = \"f\"\nstatus-sync-timeout = 301\n", "consumer.c.status-sync-timeout: must be at most 300"},
      {"[consumer.c]\nclass-name = \"kafka-admin\"\ncluster = \"k\"\nstatus-topic = \"st\"\n", "consumer.c.status-topic"},
      {"[warren]\nadvertised-url = \"https://w:8443\"\n", "warren.advertised-url: must be http://HOST:PORT"},
      {"[warren]\nadvertised-url = \"http://w:8000/v3\"\n", "warren.advertised-url: must be http://HOST:PORT"},
      {"[warren]\nadvertised-url = \"w:8000\"\n", "warren.advertised-url: must be http://HOST:PORT"},
  };
  for (const auto& r : table) {
    auto got = parse(r.text);
    BOOST_TEST(!got, r.text);
    BOOST_TEST(errors_of(got).find("test.toml:") != std::string::npos, errors_of(got));
    BOOST_TEST(errors_of(got).find(r.want) != std::string::npos, errors_of(got));
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace warren
