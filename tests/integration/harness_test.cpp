// The harness every integration test stands on: real brokers side by side, real groups committing
// (librdkafka and Kafka's own Java consumer, both group protocols), restart with data kept, and
// hand-made records (tombstones, binary keys) round-tripping through an ordinary topic.

#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <set>
#include <string>

#include "tests/support/kafka_harness.hpp"
#include "tests/support/poll_until.hpp"
#include "tests/support/test_clients.hpp"

namespace {

using namespace std::chrono_literals;
using warren::poll_until;
namespace wt = warren::test;

// Lets every kafka_cluster in this binary know when the running test has failed, so it prints and
// keeps its broker log. (Installed once per binary; move to integration_main.cpp if preferred.)
struct install_failure_probe {
  install_failure_probe() {
    wt::set_test_failure_probe([] {
      namespace ut = boost::unit_test;
      try {
        const auto& results = ut::results_collector.results(ut::framework::current_test_unit().p_id);
        return results.p_assertions_failed > 0 || results.p_aborted;
      } catch (...) {
        return false;
      }
    });
  }
  ~install_failure_probe() { wt::set_test_failure_probe({}); }
};

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// One broker shared by the tests that do not disturb it.
struct shared_cluster {
  static inline wt::kafka_cluster* cluster = nullptr;
  std::unique_ptr<wt::kafka_cluster> owned;
  shared_cluster() {
    const auto start = std::chrono::steady_clock::now();
    owned = std::make_unique<wt::kafka_cluster>();
    cluster = owned.get();
    BOOST_TEST_MESSAGE("shared broker " << cluster->bootstrap() << " ready in " << seconds_since(start) << " s");
  }
  ~shared_cluster() { cluster = nullptr; }
};

}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(install_failure_probe);

BOOST_AUTO_TEST_SUITE(harness)

BOOST_AUTO_TEST_CASE(two_clusters_run_side_by_side_and_are_isolated) {
  const auto start = std::chrono::steady_clock::now();
  wt::kafka_cluster a;
  BOOST_TEST_MESSAGE("first broker ready in " << seconds_since(start) << " s");
  wt::kafka_cluster b;
  BOOST_TEST_MESSAGE("two brokers ready in " << seconds_since(start) << " s");

  BOOST_TEST(a.bootstrap() != b.bootstrap());
  BOOST_TEST(a.running());
  BOOST_TEST(b.running());

  a.create_topic("only_on_a", 2);
  BOOST_TEST(a.has_topic("only_on_a"));
  BOOST_TEST(!b.has_topic("only_on_a"));
}

BOOST_AUTO_TEST_CASE(broker_restarts_on_the_same_port_with_its_data) {
  wt::kafka_cluster c;
  const std::string bootstrap = c.bootstrap();
  c.create_topic("survivor", 3);
  wt::producer(c.bootstrap()).produce("survivor", 1, 5);

  auto start = std::chrono::steady_clock::now();
  c.stop();
  BOOST_TEST_MESSAGE("broker stopped in " << seconds_since(start) << " s");
  BOOST_TEST(!c.running());
  BOOST_CHECK_THROW(c.topics(1s), std::runtime_error);

  start = std::chrono::steady_clock::now();
  c.start();
  BOOST_TEST_MESSAGE("broker restarted in " << seconds_since(start) << " s");
  BOOST_TEST(c.bootstrap() == bootstrap);
  BOOST_TEST(c.has_topic("survivor"));
  const auto records = wt::read_records(c.bootstrap(), "survivor", 1, 0, 5);
  BOOST_TEST(records.size() == 5u);
  BOOST_TEST(records.back().offset == 4);
  // Every value survived. (Their order need not be msg-0..msg-4: the test producer is not
  // idempotent, so a retried first send can land after the second.)
  std::set<std::string> values;
  for (const auto& r : records) values.insert(r.value.value_or(""));
  BOOST_TEST((values == std::set<std::string>{"msg-0", "msg-1", "msg-2", "msg-3", "msg-4"}));
}

BOOST_AUTO_TEST_SUITE(on_one_broker, *boost::unit_test::fixture<shared_cluster>())

BOOST_AUTO_TEST_CASE(librdkafka_group_commits_are_visible_through_admin) {
  auto& c = *shared_cluster::cluster;
  c.create_topic("orders", 2);
  wt::producer p(c.bootstrap());
  p.produce("orders", 0, 7);
  p.produce("orders", 1, 3);

  wt::consumer_member_options options;
  options.group = "billing";
  options.topics = {"orders"};
  options.commit_interval = 200ms;
  wt::consumer_member member(c.bootstrap(), options);
  BOOST_TEST(member.wait_for_assignment(30s));
  BOOST_TEST(member.wait_for_consumed(10, 30s));
  BOOST_TEST(poll_until(
      [&] {
        const auto offsets = wt::committed_offsets(c.bootstrap(), "billing");
        const auto at = [&](int partition) {
          const auto it = offsets.find({"orders", partition});
          return it == offsets.end() ? -1 : it->second;
        };
        return at(0) == 7 && at(1) == 3;
      },
      20s));
  BOOST_TEST(member.committed("orders", 0).value_or(-1) == 7);
  BOOST_TEST(member.position("orders", 1).value_or(-1) == 3);

  BOOST_TEST(contains(wt::list_groups(c.bootstrap()), "billing"));
  const auto described = wt::describe_group(c.bootstrap(), "billing");
  BOOST_TEST(described.error == "");
  BOOST_TEST(described.state == "Stable");
  BOOST_TEST_REQUIRE(described.members.size() == 1u);
  BOOST_TEST(described.members[0].assignment.size() == 2u);
  BOOST_TEST(c.has_topic("__consumer_offsets"));

  // The member can be told to commit a fixed offset (a consumer stuck at one place) ...
  member.set_fixed_commit_offset(2);
  BOOST_TEST(poll_until([&] { return member.committed("orders", 0).value_or(-1) == 2; }, 20s));
  // ... and to stop committing while it keeps consuming.
  member.set_committing(false);
  member.set_fixed_commit_offset(std::nullopt);
  p.produce("orders", 0, 4);
  BOOST_TEST(member.wait_for_consumed(14, 30s));
  BOOST_TEST(member.position("orders", 0).value_or(-1) == 11);
  const auto commits = member.commits();
  BOOST_TEST(!poll_until([&] { return member.commits() > commits; }, 1s));
  BOOST_TEST(member.committed("orders", 0).value_or(-1) == 2);
}

BOOST_AUTO_TEST_CASE(java_console_consumer_commits_with_both_group_protocols) {
  auto& c = *shared_cluster::cluster;
  c.create_topic("clicks", 1);
  wt::producer(c.bootstrap()).produce("clicks", 0, 10);

  const auto check_described = [&](const std::string& group) {
    const auto described = wt::describe_group_tool(c, group);
    BOOST_TEST(described.exit_code == 0, described.output);
    const auto rows = wt::parse_group_describe(described.output);
    BOOST_TEST_REQUIRE(rows.size() == 1u, described.output);
    BOOST_TEST(rows[0].group == group);
    BOOST_TEST(rows[0].topic == "clicks");
    BOOST_TEST(rows[0].partition == 0);
    BOOST_TEST(rows[0].current_offset.value_or(-1) == 10);
    BOOST_TEST(rows[0].log_end_offset.value_or(-1) == 10);
    BOOST_TEST(rows[0].lag.value_or(-1) == 0);
  };

  // Classic protocol: runs to completion after 10 messages and commits on close.
  auto start = std::chrono::steady_clock::now();
  const auto consumed = c.run_tool(wt::console_consumer_class,
                                   {"--bootstrap-server", c.bootstrap(), "--topic", "clicks", "--group",
                                    "console-classic", "--from-beginning", "--max-messages", "10", "--timeout-ms",
                                    "30000"},
                                   60s);
  BOOST_TEST_MESSAGE("console consumer (classic) took " << seconds_since(start) << " s");
  BOOST_TEST(consumed.exit_code == 0, consumed.output);
  BOOST_TEST(consumed.output.find("msg-9") != std::string::npos, consumed.output);
  BOOST_TEST(wt::committed_offset(c.bootstrap(), "console-classic", "clicks", 0).value_or(-1) == 10);
  check_described("console-classic");

  // KIP-848 consumer protocol: runs in the background, auto-commits, and is terminated.
  start = std::chrono::steady_clock::now();
  {
    auto running = c.spawn_tool(wt::console_consumer_class,
                                {"--bootstrap-server", c.bootstrap(), "--topic", "clicks", "--group", "console-kip848",
                                 "--from-beginning", "--consumer-property", "group.protocol=consumer",
                                 "--consumer-property", "auto.commit.interval.ms=200"});
    const auto committed = [&] { return wt::committed_offset(c.bootstrap(), "console-kip848", "clicks", 0); };
    BOOST_TEST(poll_until([&] { return committed().value_or(-1) == 10; }, 60s), running.output());
    BOOST_TEST(running.running());
    BOOST_TEST(running.terminate() == 143);  // SIGTERM: the JVM ran its shutdown hooks and left the group
    BOOST_TEST(running.output().find("msg-9") != std::string::npos, running.output());
  }
  BOOST_TEST_MESSAGE("console consumer (consumer protocol) took " << seconds_since(start) << " s");
  check_described("console-kip848");

  // The group is empty now: its offsets can be reset, then the group deleted.
  wt::reset_offsets(c, "console-classic", "clicks", 3);
  BOOST_TEST(wt::committed_offset(c.bootstrap(), "console-classic", "clicks", 0).value_or(-1) == 3);
  wt::delete_group(c, "console-classic");
  BOOST_TEST(!contains(wt::list_groups(c.bootstrap()), "console-classic"));
  BOOST_TEST(contains(wt::list_groups(c.bootstrap()), "console-kip848"));
}

BOOST_AUTO_TEST_CASE(raw_records_with_binary_keys_and_tombstones_round_trip) {
  auto& c = *shared_cluster::cluster;
  c.create_topic("fake_offsets", 1);
  const std::string key("\x00\x01\x00\x05group\x00\x02", 11);
  const std::string value("\x00\x03\x00\x00\x00\x00\x00\x00\x00\x2a", 10);

  wt::raw_producer raw(c.bootstrap());
  const auto offsets = raw.send("fake_offsets", 0, std::vector<wt::raw_record>{{key, value}, {key, std::nullopt}});
  BOOST_TEST_REQUIRE(offsets.size() == 2u);
  BOOST_TEST(offsets[0] == 0);
  BOOST_TEST(offsets[1] == 1);
  BOOST_TEST(raw.send("fake_offsets", 0, {std::nullopt, std::string("no key")}) == 2);

  const auto records = wt::read_records(c.bootstrap(), "fake_offsets", 0, 0, 3);
  BOOST_TEST_REQUIRE(records.size() == 3u);
  BOOST_TEST(records[0].key.value_or("<null>") == key);
  BOOST_TEST(records[0].value.value_or("<null>") == value);
  BOOST_TEST(records[1].key.value_or("<null>") == key);
  BOOST_TEST(!records[1].value.has_value());  // tombstone: null value
  BOOST_TEST(!records[2].key.has_value());
  BOOST_TEST(records[2].value.value_or("<null>") == "no key");
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()
