// Burrow's statuses from real consumer groups on a real broker, end to end through HTTP:
// OK, STOP (ERR), STALL (ERR), WARN, REWIND (ERR) and recovery to OK.
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <thread>

#include "tests/support/json_helpers.hpp"
#include "tests/support/kafka_harness.hpp"
#include "tests/support/poll_until.hpp"
#include "tests/support/test_clients.hpp"
#include "tests/support/warren_process.hpp"

using namespace warren::test;
using namespace std::chrono_literals;
using warren::poll_until;

namespace {
// Short windows and frequent evaluation, so statuses move within seconds.
std::string fast_config(const std::string& bootstrap) { return fast_cluster_config("local", bootstrap); }

struct status_probe {
  const warren_process& w;
  std::string group;
  boost::json::value last;
  // Waits until the group's status and partition 0's status are as expected.
  // `lag` >= 0 also waits for partition 0's current lag (statuses can settle before the last
  // broker poll has seen every produced message).
  bool wait(const std::string& group_status, const std::string& partition_status, std::chrono::milliseconds d,
            std::int64_t lag = -1) {
    return poll_until(
        [&] {
          last = parse_json(w.get("/v3/kafka/local/consumer/" + group + "/lag").body);
          return str(at(last, {"status", "status"})) == group_status &&
                 str(at(last, {"status", "partitions", 0, "status"})) == partition_status &&
                 (lag < 0 || num(at(last, {"status", "partitions", 0, "current_lag"})) == lag);
        },
        d, 200ms);
  }
};

// Produces `rate` messages per second to topic/0 on its own thread until destroyed.
class steady_producer {
 public:
  steady_producer(const std::string& bootstrap, std::string topic, int per_second)
      : thread_([this, bootstrap, topic, per_second](std::stop_token stop) {
          producer p(bootstrap);
          while (!stop.stop_requested()) {
            p.produce(topic, 0, 1);
            std::this_thread::sleep_for(std::chrono::milliseconds(1000 / per_second));  // pacing, not waiting
          }
        }) {}

 private:
  std::jthread thread_;
};
}  // namespace

BOOST_AUTO_TEST_SUITE(status)

BOOST_AUTO_TEST_CASE(caught_up_group_is_ok_then_stop_when_its_consumer_dies) {
  kafka_cluster kafka;
  kafka.create_topic("payments", 1);
  producer p(kafka.bootstrap());
  p.produce("payments", 0, 50);
  warren_process w(fast_config(kafka.bootstrap()));
  status_probe probe{w, "ledger", {}};
  {
    consumer_member m(kafka.bootstrap(), {.group = "ledger", .topics = {"payments"}});
    BOOST_REQUIRE(m.wait_for_consumed(50, 60s));
    BOOST_TEST(probe.wait("OK", "OK", 60s), probe.last);
    BOOST_TEST(num(at(probe.last, {"status", "totallag"})) == 0);
    // /status lists no partition of a healthy group.
    auto st = parse_json(w.get("/v3/kafka/local/consumer/ledger/status").body);
    BOOST_TEST(at(st, {"status", "partitions"}).as_array().empty(), st);
  }  // the consumer dies
  p.produce("payments", 0, 25);  // producers continue
  BOOST_TEST(probe.wait("ERR", "STOP", 60s, 25), probe.last);
  BOOST_TEST(num(at(probe.last, {"status", "partitions", 0, "current_lag"})) == 25);
  auto st = parse_json(w.get("/v3/kafka/local/consumer/ledger/status").body);
  BOOST_TEST(str(at(st, {"status", "partitions", 0, "status"})) == "STOP", st);
  BOOST_TEST(str(at(st, {"status", "maxlag", "status"})) == "STOP", st);
}

BOOST_AUTO_TEST_CASE(committing_the_same_offset_with_lag_is_stall) {
  kafka_cluster kafka;
  kafka.create_topic("audit", 1);
  producer(kafka.bootstrap()).produce("audit", 0, 100);
  warren_process w(fast_config(kafka.bootstrap()));
  consumer_member m(kafka.bootstrap(), {.group = "stuck", .topics = {"audit"}, .fixed_commit_offset = 10});
  status_probe probe{w, "stuck", {}};
  BOOST_TEST(probe.wait("ERR", "STALL", 60s, 90), probe.last);
  BOOST_TEST(num(at(probe.last, {"status", "partitions", 0, "end", "offset"})) == 10);
  BOOST_TEST(num(at(probe.last, {"status", "partitions", 0, "current_lag"})) == 90);
}

BOOST_AUTO_TEST_CASE(slow_consumer_with_growing_lag_is_warn) {
  kafka_cluster kafka;
  kafka.create_topic("metrics", 1);
  producer(kafka.bootstrap()).produce("metrics", 0, 5);
  warren_process w(fast_config(kafka.bootstrap()));
  steady_producer feed(kafka.bootstrap(), "metrics", 20);
  // ~3 messages/s consumed against 20/s produced: every commit sees a larger lag.
  consumer_member m(kafka.bootstrap(), {.group = "laggard",
                                        .topics = {"metrics"},
                                        .message_delay = 300ms,
                                        .commit_interval = 1500ms});
  status_probe probe{w, "laggard", {}};
  BOOST_TEST(probe.wait("WARN", "WARN", 90s), probe.last);
}

BOOST_AUTO_TEST_CASE(offsets_reset_backwards_is_rewind_then_ok_after_recovery) {
  kafka_cluster kafka;
  kafka.create_topic("orders", 1);
  producer(kafka.bootstrap()).produce("orders", 0, 100);
  warren_process w(fast_config(kafka.bootstrap()));
  status_probe probe{w, "replayer", {}};
  {
    consumer_member m(kafka.bootstrap(), {.group = "replayer", .topics = {"orders"}});
    BOOST_REQUIRE(m.wait_for_consumed(100, 60s));
    BOOST_TEST(probe.wait("OK", "OK", 60s), probe.last);
  }
  // The group is empty now; Kafka's tool moves its offset back to 50 (a commit record of 50).
  reset_offsets(kafka, "replayer", "orders", 50);
  BOOST_TEST(probe.wait("ERR", "REWIND", 60s), probe.last);
  // A consumer takes over from 50, reads to the end and commits 100: recovered.
  consumer_member again(kafka.bootstrap(), {.group = "replayer", .topics = {"orders"}});
  BOOST_REQUIRE(again.wait_for_consumed(50, 60s));
  BOOST_TEST(probe.wait("OK", "OK", 60s), probe.last);
}

BOOST_AUTO_TEST_SUITE_END()
