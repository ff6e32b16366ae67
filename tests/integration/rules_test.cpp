// Burrow's rules, exactly, with controlled inputs: hand-made offset-commit records (chosen offsets
// and commit timestamps) are written into an ordinary topic that Warren reads as its offsets topic,
// next to real data topics whose log-end offsets are known. Each status is checked through HTTP.
//
// One broker and two Warren processes serve the whole suite (a suite fixture): `strict` with
// Burrow's defaults and `lenient` with allowed-lag = 5. Commit records carry chosen timestamps, so
// the outcome does not depend on how long the suite takes (spans are hours, test time is seconds).
// A record's offset in the offsets topic is its commit order, so records are written in the order
// the scenario needs.
#include <functional>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <sstream>

#include "tests/support/offsets_encode.hpp"
#include "service/core/clock.hpp"
#include "tests/support/json_helpers.hpp"
#include "tests/support/offsets_records.hpp"
#include "tests/support/kafka_harness.hpp"
#include "tests/support/poll_until.hpp"
#include "tests/support/test_clients.hpp"
#include "tests/support/warren_process.hpp"

using namespace warren::test;
using namespace std::chrono_literals;
using warren::poll_until;
namespace wo = warren::offsets;

namespace {

constexpr const char* offsets_topic = "commit-log";
constexpr std::int64_t second = 1000;

std::int64_t wall_ms() { return warren::wall_now_ms(); }

// An offset commit as Kafka 2.1+ writes it: key v1, value v3.
raw_record commit(const std::string& group, const std::string& topic, int partition, std::int64_t offset,
                  std::int64_t timestamp_ms) {
  return commit_record(group, topic, partition, offset, timestamp_ms);
}

// Five commits of `offsets` on one partition whose timestamps spread evenly from `first` to `last`.
std::vector<raw_record> window(const std::string& group, const std::string& topic, int partition,
                               const std::vector<std::int64_t>& offsets, std::int64_t first, std::int64_t last) {
  std::vector<raw_record> out;
  const auto n = static_cast<std::int64_t>(offsets.size());
  for (std::int64_t i = 0; i < n; ++i)
    out.push_back(commit(group, topic, partition, offsets[static_cast<std::size_t>(i)],
                         n == 1 ? last : first + (last - first) * i / (n - 1)));
  return out;
}

std::string config(const std::string& bootstrap, int allowed_lag) {
  return cluster_config("local", bootstrap, offsets_topic) +
         "[storage.default]\nintervals = 5\n\n"
         "[evaluator.default]\nallowed-lag = " +
         std::to_string(allowed_lag) + "\n\n[warren]\neval-interval = 1\ncoalesce-ms = 50\n";
}

// The shared environment: topic "data" (2 partitions, log end 100 each), topic "grow" (1
// partition, log end 100, grown by the WARN scenario), the offsets topic with the static
// scenarios already written, and both Warren processes replaying it.
struct rules_env {
  kafka_cluster kafka;
  std::int64_t t0 = wall_ms();
  raw_producer commits{kafka.bootstrap()};
  producer data{kafka.bootstrap()};
  std::unique_ptr<warren_process> strict;
  std::unique_ptr<warren_process> lenient;

  rules_env() {
    kafka.create_topic("data", 2);
    kafka.create_topic("grow", 1);
    kafka.create_topic(offsets_topic, 1);
    data.produce("data", 0, 100);
    data.produce("data", 1, 100);
    data.produce("grow", 0, 100);
    const std::int64_t hour_ago = t0 - 3600 * second;
    std::vector<raw_record> r;
    auto add = [&](std::vector<raw_record> v) { r.insert(r.end(), v.begin(), v.end()); };
    // Caught up: current lag 0.
    add(window("g-ok", "data", 0, {60, 70, 80, 90, 100}, hour_ago, t0));
    // Two commits of five: partition complete 0.4, caught up.
    add(window("g-partial", "data", 0, {90, 100}, hour_ago, t0));
    // Stopped two hours ago after 40 s of commits, with lag.
    add(window("g-stop", "data", 0, {10, 20, 30, 40, 50}, t0 - 7200 * second, t0 - 7160 * second));
    // The same offset, recently, with lag 40.
    add(window("g-stall", "data", 1, {60, 60, 60, 60, 60}, hour_ago, t0));
    // The same offset with lag 3: STALL under allowed-lag 0, OK under allowed-lag 5.
    add(window("g-small", "data", 1, {97, 97, 97, 97, 97}, hour_ago, t0));
    // Backwards from 70 to 30 and not back yet (recovery is written by its test).
    add(window("g-rewind", "data", 0, {50, 60, 70, 30, 40}, hour_ago, t0 - 1200 * second));
    // The STOP half of the aggregation group (its WARN half is written by the WARN test).
    add(window("g-mixed", "data", 0, {10, 20, 30, 40, 50}, t0 - 7200 * second, t0 - 7160 * second));
    commits.send(offsets_topic, 0, r);
    strict = std::make_unique<warren_process>(config(kafka.bootstrap(), 0));
    lenient = std::make_unique<warren_process>(config(kafka.bootstrap(), 5));
  }
};

rules_env* env = nullptr;

struct rules_fixture {
  void setup() { env = new rules_env(); }
  void teardown() {
    delete env;
    env = nullptr;
  }
};

boost::json::value lag(const warren_process& w, const std::string& group) {
  return parse_json(w.get("/v3/kafka/local/consumer/" + group + "/lag").body);
}

// Waits until the group's /lag answers with `group_status`; the last body is kept in `last`.
// The partition entry of `body.status.partitions` for topic/partition (null when absent).
boost::json::value partition(const boost::json::value& body, const std::string& topic, int p) {
  auto parts = at(body, {"status", "partitions"});
  if (parts.is_array())
    for (const auto& e : parts.as_array())
      if (str(at(e, {"topic"})) == topic && num(at(e, {"partition"})) == p) return e;
  return nullptr;
}

// `also`: a further condition on the body, for a status that must reflect the latest commit
// (the kept status trails the store by up to one coalescing tick).
bool wait_status(const warren_process& w, const std::string& group, const std::string& group_status,
                 boost::json::value& last, std::chrono::milliseconds deadline = 30s,
                 const std::function<bool(const boost::json::value&)>& also = {}) {
  return poll_until(
      [&] {
        last = lag(w, group);
        return str(at(last, {"status", "status"})) == group_status && (!also || also(last));
      },
      deadline, 100ms);
}


double real(const boost::json::value& v) {
  if (v.is_double()) return v.as_double();
  if (v.is_int64()) return static_cast<double>(v.as_int64());
  if (v.is_uint64()) return static_cast<double>(v.as_uint64());
  return -1;
}

// The value of the first /metrics sample `name{...}` whose labels contain `label`, or -1.
double metric(const warren_process& w, const std::string& name, const std::string& label) {
  std::istringstream in(w.get("/metrics").body);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name + "{", 0) != 0 || line.find(label) == std::string::npos) continue;
    return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return -1;
}

bool has_group(const warren_process& w, const std::string& group) {
  return contains_string(at(parse_json(w.get("/v3/kafka/local/consumer").body), {"consumers"}), group);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rules, *boost::unit_test::fixture<rules_fixture>())

BOOST_AUTO_TEST_CASE(caught_up_group_is_ok) {
  boost::json::value b;
  BOOST_TEST_REQUIRE(wait_status(*env->strict, "g-ok", "OK", b), b);
  auto p = partition(b, "data", 0);
  BOOST_TEST(str(at(p, {"status"})) == "OK", b);
  BOOST_TEST(num(at(p, {"current_lag"})) == 0);
  BOOST_TEST(num(at(p, {"start", "offset"})) == 60);
  BOOST_TEST(num(at(p, {"end", "offset"})) == 100);
  BOOST_TEST(num(at(p, {"end", "lag"})) == 0);
  BOOST_TEST(num(at(p, {"end", "timestamp"})) == env->t0);
  BOOST_TEST(real(at(p, {"complete"})) == 1.0);
  // The group touched topic "data" (2 partitions): the never-committed one counts, incomplete.
  BOOST_TEST(num(at(b, {"status", "partition_count"})) == 2);
  BOOST_TEST(real(at(b, {"status", "complete"})) == 0.5);
  BOOST_TEST(num(at(b, {"status", "totallag"})) == 0);
  auto never = partition(b, "data", 1);
  BOOST_TEST(str(at(never, {"status"})) == "OK");
  BOOST_TEST(at(never, {"start"}).is_null());
  BOOST_TEST(real(at(never, {"complete"})) == 0.0);
  // /status lists only partitions that are not OK.
  auto st = parse_json(env->strict->get("/v3/kafka/local/consumer/g-ok/status").body);
  BOOST_TEST(at(st, {"status", "partitions"}).as_array().empty(), st);
  BOOST_TEST(str(at(st, {"status", "status"})) == "OK");
  BOOST_TEST(num(at(st, {"status", "partition_count"})) == 2);
}

BOOST_AUTO_TEST_CASE(incomplete_window_is_evaluated_and_reported_incomplete) {
  boost::json::value b;
  BOOST_TEST_REQUIRE(wait_status(*env->strict, "g-partial", "OK", b), b);
  BOOST_TEST(real(at(partition(b, "data", 0), {"complete"})) == 0.4, b);
  BOOST_TEST(real(at(b, {"status", "complete"})) == 0.0);  // no partition has a full window
  auto detail = parse_json(env->strict->get("/v3/kafka/local/consumer/g-partial").body);
  auto ring = at(detail, {"topics", "data", 0, "offsets"});
  BOOST_TEST_REQUIRE(ring.is_array(), detail);
  BOOST_TEST(ring.as_array().size() == 5u);  // intervals slots, leading nulls first
  BOOST_TEST(ring.as_array()[0].is_null());
  BOOST_TEST(ring.as_array()[2].is_null());
  BOOST_TEST(num(at(ring, {3, "offset"})) == 90);
  BOOST_TEST(at(detail, {"topics", "data", 1, "offsets"}).as_array().empty());  // never committed
}

BOOST_AUTO_TEST_CASE(commits_stopped_long_ago_with_lag_is_stop) {
  boost::json::value b;
  BOOST_TEST_REQUIRE(wait_status(*env->strict, "g-stop", "ERR", b), b);
  auto p = partition(b, "data", 0);
  BOOST_TEST(str(at(p, {"status"})) == "STOP", b);
  BOOST_TEST(num(at(p, {"current_lag"})) == 50);
  BOOST_TEST(num(at(p, {"end", "lag"})) == 50);
  BOOST_TEST(str(at(b, {"status", "maxlag", "status"})) == "STOP");
  BOOST_TEST(num(at(b, {"status", "totallag"})) == 50);
  auto st = parse_json(env->strict->get("/v3/kafka/local/consumer/g-stop/status").body);
  BOOST_TEST_REQUIRE(at(st, {"status", "partitions"}).as_array().size() == 1u, st);
  BOOST_TEST(str(at(st, {"status", "partitions", 0, "status"})) == "STOP");
}

BOOST_AUTO_TEST_CASE(same_offset_committed_repeatedly_with_lag_is_stall) {
  boost::json::value b;
  BOOST_TEST_REQUIRE(wait_status(*env->strict, "g-stall", "ERR", b), b);
  auto p = partition(b, "data", 1);
  BOOST_TEST(str(at(p, {"status"})) == "STALL", b);
  BOOST_TEST(num(at(p, {"current_lag"})) == 40);
  // allowed-lag 5 does not hide a lag of 40.
  BOOST_TEST_REQUIRE(wait_status(*env->lenient, "g-stall", "ERR", b), b);
  BOOST_TEST(str(at(partition(b, "data", 1), {"status"})) == "STALL", b);
}

BOOST_AUTO_TEST_CASE(allowed_lag_turns_a_small_lag_ok) {
  boost::json::value b;
  BOOST_TEST_REQUIRE(wait_status(*env->strict, "g-small", "ERR", b), b);
  BOOST_TEST(str(at(partition(b, "data", 1), {"status"})) == "STALL", b);
  BOOST_TEST_REQUIRE(wait_status(*env->lenient, "g-small", "OK", b), b);
  auto p = partition(b, "data", 1);
  BOOST_TEST(str(at(p, {"status"})) == "OK", b);
  BOOST_TEST(num(at(p, {"current_lag"})) == 3);  // the lag is still reported
  BOOST_TEST(num(at(b, {"status", "totallag"})) == 3);
}

BOOST_AUTO_TEST_CASE(offset_going_backwards_is_rewind_then_ok_after_recovery) {
  boost::json::value b;
  BOOST_TEST_REQUIRE(wait_status(*env->strict, "g-rewind", "ERR", b), b);
  auto p = partition(b, "data", 0);
  BOOST_TEST(str(at(p, {"status"})) == "REWIND", b);
  BOOST_TEST(num(at(p, {"current_lag"})) == 60);
  // Back past the pre-rewind offset (70) with lag still non-zero and not decreasing monotonically:
  // window 70 30 40 80 90 → recovered, lags 30 70 60 20 10 → OK with current lag 10.
  env->commits.send(offsets_topic, 0,
                    window("g-rewind", "data", 0, {80, 90}, env->t0 - 600 * second, env->t0));
  // OK already holds with 80 applied and 90 not yet (the evaluator may run between the two):
  // wait for the status that reflects the last commit.
  BOOST_TEST_REQUIRE(wait_status(*env->strict, "g-rewind", "OK", b, 30s,
                                 [](const boost::json::value& v) {
                                   return num(at(partition(v, "data", 0), {"end", "offset"})) == 90;
                                 }),
                     b);
  p = partition(b, "data", 0);
  BOOST_TEST(str(at(p, {"status"})) == "OK", b);
  BOOST_TEST(num(at(p, {"current_lag"})) == 10);
  BOOST_TEST(num(at(p, {"start", "offset"})) == 70);
}

BOOST_AUTO_TEST_CASE(growing_lag_is_warn_and_the_group_aggregates_err_over_warn) {
  // Each step: the log end of grow/0 moves 20 ahead, Warren sees it, then both groups commit 10
  // further: stored lags 110, 120, 130, 140, 150 — never zero, never decreasing.
  auto& w = *env->strict;
  for (int i = 0; i < 5; ++i) {
    const std::int64_t end = 100 + 20 * (i + 1);
    env->data.produce("grow", 0, 20);
    BOOST_TEST_REQUIRE(poll_until(
        [&] {
          return num(at(parse_json(w.get("/v3/kafka/local/topic/grow").body), {"offsets", 0})) == end &&
                 num(at(parse_json(env->lenient->get("/v3/kafka/local/topic/grow").body), {"offsets", 0})) == end;
        },
        30s));
    const std::int64_t ts = env->t0 - 3600 * second + i * 900 * second;
    env->commits.send(offsets_topic, 0,
                      {commit("g-warn", "grow", 0, 10 * (i + 1), ts), commit("g-mixed", "grow", 0, 10 * (i + 1), ts)});
    BOOST_TEST_REQUIRE(poll_until(
        [&] {
          auto d = parse_json(w.get("/v3/kafka/local/consumer/g-mixed").body);
          auto ring = at(d, {"topics", "grow", 0, "offsets"});
          return ring.is_array() && !ring.as_array().empty() && num(at(ring.as_array().back(), {"offset"})) == 10 * (i + 1) &&
                 num(at(parse_json(w.get("/v3/kafka/local/consumer/g-warn").body),
                        {"topics", "grow", 0, "offsets", 4, "offset"})) == 10 * (i + 1);
        },
        30s));
  }
  boost::json::value b;
  BOOST_TEST_REQUIRE(wait_status(w, "g-warn", "WARN", b, 30s,
                                 [](const boost::json::value& v) {
                                   return num(at(partition(v, "grow", 0), {"end", "lag"})) == 150;
                                 }),
                     b);
  auto p = partition(b, "grow", 0);
  BOOST_TEST(str(at(p, {"status"})) == "WARN", b);
  BOOST_TEST(num(at(p, {"start", "lag"})) == 110);
  BOOST_TEST(num(at(p, {"end", "lag"})) == 150);
  BOOST_TEST(num(at(p, {"current_lag"})) == 150);
  BOOST_TEST(num(at(b, {"status", "partition_count"})) == 1);
  BOOST_TEST(real(at(b, {"status", "complete"})) == 1.0);

  // g-mixed: grow/0 WARN (lag 150), data/0 STOP (lag 50), data/1 never committed (OK, lag 0).
  BOOST_TEST_REQUIRE(wait_status(w, "g-mixed", "ERR", b, 30s,
                                 [](const boost::json::value& v) {
                                   return num(at(partition(v, "grow", 0), {"end", "lag"})) == 150;
                                 }),
                     b);
  BOOST_TEST(str(at(partition(b, "grow", 0), {"status"})) == "WARN", b);
  BOOST_TEST(str(at(partition(b, "data", 0), {"status"})) == "STOP", b);
  BOOST_TEST(num(at(b, {"status", "partition_count"})) == 3);
  BOOST_TEST(num(at(b, {"status", "totallag"})) == 200);
  BOOST_TEST(str(at(b, {"status", "maxlag", "topic"})) == "grow");
  BOOST_TEST(num(at(b, {"status", "maxlag", "current_lag"})) == 150);
  BOOST_TEST(std::abs(real(at(b, {"status", "complete"})) - 2.0 / 3.0) < 1e-6);
  BOOST_TEST(at(b, {"status", "partitions"}).as_array().size() == 3u);
  // /status: the two problem partitions only, in (topic, partition) order; maxlag as in /lag.
  auto st = parse_json(w.get("/v3/kafka/local/consumer/g-mixed/status").body);
  BOOST_TEST_REQUIRE(at(st, {"status", "partitions"}).as_array().size() == 2u, st);
  BOOST_TEST(str(at(st, {"status", "partitions", 0, "status"})) == "STOP");
  BOOST_TEST(str(at(st, {"status", "partitions", 1, "status"})) == "WARN");
  BOOST_TEST(str(at(st, {"status", "maxlag", "status"})) == "WARN");
  BOOST_TEST(num(at(st, {"status", "partition_count"})) == 3);
}

BOOST_AUTO_TEST_CASE(corrupt_and_unknown_records_are_counted_and_skipped) {
  auto& w = *env->strict;
  std::vector<raw_record> r;
  // A v1 commit key with a value cut short after its version: truncated.
  r.push_back({to_bytes(wo::encode_offset_commit_key("g-junk", "data", 0)), std::string("\x00\x03\x00", 3)});
  // Record type 99: not defined by Kafka.
  r.push_back({std::string("\x00\x63\x00\x01x", 5), std::string("\x00\x00", 2)});
  // Record type 5 (a KIP-848 consumer-group record): known, not used by Warren.
  r.push_back({std::string("\x00\x05\x00\x06g-junk", 10), std::string("\x00\x00", 2)});
  auto after = window("g-after", "data", 1, {100}, env->t0, env->t0);
  r.insert(r.end(), after.begin(), after.end());
  env->commits.send(offsets_topic, 0, r);
  boost::json::value b;
  BOOST_TEST(wait_status(w, "g-after", "OK", b), b);  // the commit after the bad records arrives
  BOOST_TEST(!has_group(w, "g-junk"));
  BOOST_TEST(metric(w, "warren_offsets_records_skipped_total", "reason=\"truncated\"") == 1.0);
  BOOST_TEST(metric(w, "warren_offsets_records_skipped_total", "reason=\"unknown_key_version\"") == 1.0);
  BOOST_TEST(metric(w, "warren_offsets_records_skipped_total", "reason=\"other_record_kind\"") == 1.0);
  BOOST_TEST(metric(w, "warren_offsets_records_skipped_total", "reason=\"trailing_bytes\"") == 0.0);
}

BOOST_AUTO_TEST_CASE(group_tombstone_removes_the_group) {
  auto& w = *env->strict;
  env->commits.send(offsets_topic, 0, window("g-doomed", "data", 0, {100}, env->t0, env->t0));
  boost::json::value b;
  BOOST_TEST_REQUIRE(wait_status(w, "g-doomed", "OK", b), b);
  BOOST_TEST(has_group(w, "g-doomed"));
  env->commits.send(offsets_topic, 0, to_raw(wo::encode(wo::group_tombstone{"g-doomed"})));
  BOOST_TEST(poll_until([&] { return !has_group(w, "g-doomed"); }, 30s));
  auto r = w.get("/v3/kafka/local/consumer/g-doomed/lag");
  BOOST_TEST(r.status == 404u);
  BOOST_TEST(str(at(parse_json(r.body), {"status", "status"})) == "NOTFOUND", r.body);
  BOOST_TEST(w.get("/v3/kafka/local/consumer/g-doomed").status == 404u);
  BOOST_TEST(has_group(w, "g-ok"));  // nothing else went with it
}

BOOST_AUTO_TEST_SUITE_END()
