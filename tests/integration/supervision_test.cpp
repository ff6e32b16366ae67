// Supervision and freshness end to end: the real binary, a real broker, a real consumer group.
// Each actor kind is killed by an injected fault (WARREN_FAULT_INJECTION=1 enables the test-only
// endpoint) and must come back, be counted in /metrics and /v3/health, and lose no commit. A
// broker outage must show on /lag (freshness fields), the stream (a cluster message) and
// /v3/health (non-200), and clear after recovery.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>

#include "tests/support/http_client.hpp"
#include "tests/support/json_helpers.hpp"
#include "tests/support/kafka_harness.hpp"
#include "tests/support/poll_until.hpp"
#include "tests/support/test_clients.hpp"
#include "tests/support/warren_process.hpp"
#include "tests/support/ws_client.hpp"

using namespace warren::test;
using namespace std::chrono_literals;
using warren::poll_until;

namespace {

std::string fast_config(const std::string& bootstrap) { return fast_cluster_config("local", bootstrap); }

// Starts warren with the fault-injection endpoint enabled (only for this process).
struct faulty_warren {
  explicit faulty_warren(const std::string& config) : w(start(config)) {}
  static std::unique_ptr<warren_process> start(const std::string& config) {
    ::setenv("WARREN_FAULT_INJECTION", "1", 1);
    try {
      auto p = std::make_unique<warren_process>(config);
      ::unsetenv("WARREN_FAULT_INJECTION");
      return p;
    } catch (...) {
      ::unsetenv("WARREN_FAULT_INJECTION");
      throw;
    }
  }
  std::unique_ptr<warren_process> w;
};

// The actor's entry in /v3/health.
boost::json::value actor_entry(const warren_process& w, const std::string& actor, const std::string& cluster) {
  auto h = parse_json(w.get("/v3/health").body);
  auto actors = at(h, {"actors"});
  if (!actors.is_array()) return nullptr;
  for (const auto& a : actors.as_array())
    if (str(at(a, {"actor"})) == actor && str(at(a, {"cluster"})) == cluster) return a;
  return nullptr;
}

std::string metric_line(const warren_process& w, const std::string& series) {
  auto body = w.get("/metrics").body;
  auto at_ = body.find("\n" + series + " ");
  if (at_ == std::string::npos) return {};
  auto end = body.find('\n', at_ + 1);
  return body.substr(at_ + 1, end - at_ - 1);
}

std::int64_t newest_commit(const warren_process& w, const std::string& group) {
  auto detail = parse_json(w.get("/v3/kafka/local/consumer/" + group).body);
  auto offsets = at(detail, {"topics", "orders", 0, "offsets"});
  if (!offsets.is_array() || offsets.as_array().empty()) return -1;
  return num(at(offsets.as_array().back(), {"offset"}));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(supervision)

BOOST_AUTO_TEST_CASE(every_actor_kind_restarts_after_a_fault_is_counted_and_loses_no_commit) {
  kafka_cluster kafka;
  kafka.create_topic("orders", 1);
  producer p(kafka.bootstrap());
  p.produce("orders", 0, 10);
  consumer_member member(kafka.bootstrap(), {.group = "billing", .topics = {"orders"}, .commit_interval = 200ms});
  BOOST_REQUIRE(member.wait_for_consumed(10, 60s));

  faulty_warren fw(fast_config(kafka.bootstrap()));
  auto& w = *fw.w;
  BOOST_REQUIRE(poll_until([&] { return newest_commit(w, "billing") == 10; }, 60s));
  BOOST_TEST(w.get("/v3/health").status == 200u);

  std::int64_t produced = 10;
  const std::vector<std::pair<std::string, std::string>> kinds = {
      {"offsets_reader", "local"}, {"cluster_poller", "local"}, {"offset_store", ""},
      {"group_evaluator", ""},     {"ws_hub", ""}};
  for (const auto& [actor, cluster] : kinds) {
    BOOST_TEST_CONTEXT(actor) {
      auto r = http_call(w.port(), "POST", "/v3/admin/fault/" + actor + "/" + (cluster.empty() ? "-" : cluster));
      BOOST_TEST(r.status == 200u, r.body);
      // Restarted (up again) and counted, in /v3/health and /metrics.
      BOOST_TEST(poll_until(
          [&] {
            auto a = actor_entry(w, actor, cluster);
            return num(at(a, {"restarts"})) == 1 && at(a, {"up"}).is_bool() && at(a, {"up"}).as_bool();
          },
          30s));
      BOOST_TEST(str(at(actor_entry(w, actor, cluster), {"last_error"})).find("injected fault") != std::string::npos);
      auto line = metric_line(w, "warren_actor_restarts_total{actor=\"" + actor + "\",cluster=\"" + cluster + "\"}");
      BOOST_TEST(line.ends_with(" 1"), line);
      // New commits after the restart arrive: nothing lost, nothing stuck.
      p.produce("orders", 0, 5);
      produced += 5;
      BOOST_TEST(poll_until([&] { return newest_commit(w, "billing") == produced; }, 60s),
                 "newest commit " << newest_commit(w, "billing") << ", expected " << produced);
      BOOST_TEST(poll_until(
          [&] {
            auto lag = parse_json(w.get("/v3/kafka/local/consumer/billing/lag").body);
            return num(at(lag, {"status", "partitions", 0, "end", "offset"})) == produced;
          },
          30s));
    }
  }
  auto health = w.get("/v3/health");
  BOOST_TEST(health.status == 200u, health.body);
  BOOST_TEST(w.process().running());
}

BOOST_AUTO_TEST_CASE(fault_endpoint_is_absent_without_the_environment_switch) {
  kafka_cluster kafka;
  warren_process w(fast_config(kafka.bootstrap()));
  auto r = http_call(w.port(), "POST", "/v3/admin/fault/offset_store/-");
  BOOST_TEST(r.status == 404u);
  BOOST_TEST(num(at(actor_entry(w, "offset_store", ""), {"restarts"})) == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(freshness)

BOOST_AUTO_TEST_CASE(a_broker_outage_shows_on_lag_the_stream_and_health_and_clears_after_recovery) {
  kafka_cluster kafka;
  kafka.create_topic("orders", 1);
  commit_all_and_leave(kafka.bootstrap(), "billing", "orders", 20);
  warren_process w(fast_config(kafka.bootstrap()));
  BOOST_REQUIRE(poll_until([&] { return newest_commit(w, "billing") == 20; }, 60s));
  BOOST_REQUIRE(poll_until([&] { return w.get("/v3/health").status == 200u; }, 30s));
  auto fresh = parse_json(w.get("/v3/kafka/local/consumer/billing/lag").body);
  BOOST_TEST(!fresh.as_object().contains("warren"));

  ws_test_client ws(w.port());
  ws.send(R"({"type":"subscribe","id":"all"})");
  BOOST_REQUIRE(ws.read_until([](const boost::json::value& v) { return message_type(v) == "snapshot"; }, 10s));

  kafka.stop();
  // The stream says so.
  auto down = ws.read_until(
      [](const boost::json::value& v) {
        return message_type(v) == "cluster" && v.at("cluster").as_string() == "local" && v.at("stale").as_bool();
      },
      60s);
  BOOST_REQUIRE(down);
  BOOST_TEST(!down->at("reachable").as_bool());
  // /lag and /status carry the freshness object; Burrow's fields are unchanged.
  boost::json::value lag;
  BOOST_TEST(poll_until(
      [&] {
        lag = parse_json(w.get("/v3/kafka/local/consumer/billing/lag").body);
        return at(lag, {"warren", "stale"}).is_bool() && at(lag, {"warren", "stale"}).as_bool();
      },
      30s));
  BOOST_TEST(str(at(lag, {"warren", "reason"})).find("unreachable") != std::string::npos, lag);
  BOOST_TEST(num(at(lag, {"warren", "as_of"})) > 0);
  BOOST_TEST(str(at(lag, {"status", "group"})) == "billing");
  auto status = parse_json(w.get("/v3/kafka/local/consumer/billing/status").body);
  BOOST_TEST(at(status, {"warren", "stale"}).as_bool());
  // /v3/health is not 200 and says why; /metrics too.
  auto health = w.get("/v3/health");
  BOOST_TEST(health.status == 503u, health.body);
  BOOST_TEST(metric_line(w, "warren_cluster_stale{cluster=\"local\"}").ends_with(" 1"));

  kafka.start();
  BOOST_TEST(ws.read_until(
                 [](const boost::json::value& v) {
                   return message_type(v) == "cluster" && v.at("cluster").as_string() == "local" &&
                          !v.at("stale").as_bool();
                 },
                 90s)
                 .has_value());
  BOOST_TEST(poll_until([&] { return w.get("/v3/health").status == 200u; }, 60s));
  auto after = parse_json(w.get("/v3/kafka/local/consumer/billing/lag").body);
  BOOST_TEST(!after.as_object().contains("warren"), after);
  BOOST_TEST(metric_line(w, "warren_cluster_stale{cluster=\"local\"}").ends_with(" 0"));
}

BOOST_AUTO_TEST_CASE(lag_follows_a_log_end_change_with_no_new_commit) {
  kafka_cluster kafka;
  kafka.create_topic("orders", 1);
  commit_all_and_leave(kafka.bootstrap(), "billing", "orders", 10);
  producer p(kafka.bootstrap());
  // A periodic pass far away: only the log-end change can move /lag.
  warren_process w(cluster_config("local", kafka.bootstrap()) + "[warren]\neval-interval = 3600\ncoalesce-ms = 50\n");
  auto lag_now = [&] {
    auto lag = parse_json(w.get("/v3/kafka/local/consumer/billing/lag").body);
    return num(at(lag, {"status", "partitions", 0, "current_lag"}));
  };
  BOOST_REQUIRE(poll_until([&] { return lag_now() == 0 && newest_commit(w, "billing") == 10; }, 60s));
  p.produce("orders", 0, 7);  // the group commits nothing more
  // offset-refresh is 1 s in cluster_config: one poll plus one coalescing tick.
  BOOST_TEST(poll_until([&] { return lag_now() == 7; }, 10s), "lag " << lag_now());
  auto detail = parse_json(w.get("/v3/kafka/local/consumer/billing").body);
  BOOST_TEST(num(at(detail, {"topics", "orders", 0, "current-lag"})) == 7);
}

BOOST_AUTO_TEST_SUITE_END()
