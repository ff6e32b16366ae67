// [consumer.X] status-topic / publish-interval / forward-timeout and [warren] advertised-url
// (issue 14 parts 2-3): defaults, values read, and every key refused where it cannot work, with
// the file, key and reason.
#include <boost/test/unit_test.hpp>

#include <string>

#include "service/config/load.hpp"

namespace warren {
namespace {

const std::string cluster = "[cluster.k]\nservers = [\"b:9092\"]\n\n";

config_result parse(const std::string& text) { return parse_config(cluster + text, "test.toml", no_environment); }
std::string errors_of(const config_result& r) { return r ? "" : format_errors(r.error()); }

}  // namespace

BOOST_AUTO_TEST_SUITE(fleet_config)

BOOST_AUTO_TEST_CASE(a_cluster_group_gets_a_status_topic_named_after_it) {
  auto r = parse("[consumer.c]\ncluster = \"k\"\ncluster-group = \"fleet\"\n");
  BOOST_REQUIRE_MESSAGE(r, errors_of(r));
  const auto& c = r->consumers.at("c");
  BOOST_TEST(c.status_topic == "__warren_status_fleet");
  BOOST_TEST(c.publish_interval.count() == 5);
  BOOST_TEST(c.forward_timeout.count() == 2);
  BOOST_TEST(r->warren.advertised_url.empty());
  auto none = parse("[consumer.c]\ncluster = \"k\"\n");
  BOOST_REQUIRE(none);
  BOOST_TEST(none->consumers.at("c").status_topic.empty());
}

BOOST_AUTO_TEST_CASE(keys_are_read) {
  auto r = parse("[warren]\ncluster-group = \"fleet\"\nadvertised-url = \"http://w-1:8000/\"\n\n"
                 "[consumer.c]\ncluster = \"k\"\nstatus-topic = \"st\"\npublish-interval = 30\nforward-timeout = 9\n");
  BOOST_REQUIRE_MESSAGE(r, errors_of(r));
  const auto& c = r->consumers.at("c");
  BOOST_TEST(c.status_topic == "st");
  BOOST_TEST(c.publish_interval.count() == 30);
  BOOST_TEST(c.forward_timeout.count() == 9);
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
