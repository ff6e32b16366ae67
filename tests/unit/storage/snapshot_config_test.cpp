// [warren] state-dir and snapshot-interval (issue 14): read, defaulted and range-checked by the loader.
#include <boost/test/unit_test.hpp>

#include <string>

#include "service/config/load.hpp"

namespace warren {
namespace {

config_result parse(const std::string& warren_section) {
  return parse_config("[warren]\n" + warren_section, "test.toml", no_environment,
                      load_options{.allow_no_cluster = true});
}

std::string first_error(const config_result& r) { return r ? "" : r.error().front().to_string(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(snapshot_config)

BOOST_AUTO_TEST_CASE(absent_means_no_snapshots) {
  auto r = parse("");
  BOOST_REQUIRE(r);
  BOOST_TEST(r->warren.state_dir.empty());
  BOOST_TEST(r->warren.snapshot_interval.count() == 300);
}

BOOST_AUTO_TEST_CASE(keys_are_read) {
  auto r = parse("state-dir = \"/var/lib/warren\"\nsnapshot-interval = 60\n");
  BOOST_REQUIRE(r);
  BOOST_TEST(r->warren.state_dir == "/var/lib/warren");
  BOOST_TEST(r->warren.snapshot_interval.count() == 60);
}

BOOST_AUTO_TEST_CASE(bad_values_are_errors_naming_the_key) {
  for (const std::string bad : {"snapshot-interval = 0\n", "snapshot-interval = 86401\n", "snapshot-interval = \"1m\"\n",
                                "state-dir = 5\n"}) {
    auto r = parse(bad);
    BOOST_TEST(!r, bad);
    const std::string key = bad.substr(0, bad.find(' '));
    BOOST_TEST(first_error(r).find("warren." + key) != std::string::npos, first_error(r));
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace warren
