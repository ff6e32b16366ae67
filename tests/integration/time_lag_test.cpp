// Lag in seconds and retention risk (issue 11) from the real binary on a real broker: a producer
// writes batches at recorded times, real consumer groups commit known offsets, and /lag's `warren`
// objects are checked against the recorded times with error bounds derived from the poll interval;
// a topic with a short retention.ms gets its log start moved by DeleteRecords (deterministic, no
// waiting for the retention cleaner) and must report data loss.
//
// Error bounds (offset-refresh = 1 s): record C was appended at some A in [sent, acked] of its
// batch. Warren interpolates t* between two of its log-end observations l < r with l.offset ≤ C <
// r.offset, and reports max_error = r.time − l.time; A lies in (l.time, r.time] too, so |t* − A| ≤
// max_error. The test waits for Warren to observe each batch before producing the next, so l is at
// most one poll round before `sent` and r at most one round after `acked`: max_error ≤ (acked −
// sent) + 2 rounds, and a round is offset-refresh plus its own duration (bounded here by 1.5 s).
#include <librdkafka/rdkafka.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "service/core/clock.hpp"
#include "tests/support/json_helpers.hpp"
#include "tests/support/kafka_harness.hpp"
#include "tests/support/poll_until.hpp"
#include "tests/support/test_clients.hpp"
#include "tests/support/warren_process.hpp"

using namespace warren::test;
using namespace std::chrono_literals;
using warren::poll_until;

namespace {

constexpr std::int64_t round_ms = 1500;  // one offset-refresh (1 s) plus the round itself, bounded

std::int64_t wall_ms() { return warren::wall_now_ms(); }

std::optional<double> dbl(const boost::json::value& v) {
  if (v.is_double()) return v.as_double();
  if (v.is_int64()) return static_cast<double>(v.as_int64());
  if (v.is_uint64()) return static_cast<double>(v.as_uint64());
  return std::nullopt;
}

struct rk_deleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};

std::unique_ptr<rd_kafka_t, rk_deleter> admin_client(const std::string& bootstrap) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) throw std::runtime_error(std::string("admin client: ") + err);
  return std::unique_ptr<rd_kafka_t, rk_deleter>(rk);
}

// Waits for one admin result event on `q` and throws on a request-level error.
rd_kafka_event_t* admin_result(rd_kafka_queue_t* q, const char* what) {
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30'000);
  if (!ev) throw std::runtime_error(std::string(what) + ": no answer");
  if (rd_kafka_event_error(ev)) {
    std::string e = rd_kafka_event_error_string(ev);
    rd_kafka_event_destroy(ev);
    throw std::runtime_error(std::string(what) + ": " + e);
  }
  return ev;
}

// Sets a topic's retention.ms (Admin AlterConfigs).
void set_retention(const std::string& bootstrap, const std::string& topic, std::int64_t ms) {
  auto rk = admin_client(bootstrap);
  rd_kafka_ConfigResource_t* res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  rd_kafka_ConfigResource_set_config(res, "retention.ms", std::to_string(ms).c_str());
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk.get());
  rd_kafka_AlterConfigs(rk.get(), &res, 1, nullptr, q);
  rd_kafka_ConfigResource_destroy(res);
  rd_kafka_event_t* ev = admin_result(q, "AlterConfigs");
  std::size_t n = 0;
  const rd_kafka_ConfigResource_t** out = rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev), &n);
  const bool failed = n != 1 || rd_kafka_ConfigResource_error(out[0]) != RD_KAFKA_RESP_ERR_NO_ERROR;
  rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  if (failed) throw std::runtime_error("AlterConfigs retention.ms failed");
}

// Moves the partition's log start to `before` (Admin DeleteRecords).
void delete_records(const std::string& bootstrap, const std::string& topic, int partition, std::int64_t before) {
  auto rk = admin_client(bootstrap);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic.c_str(), partition)->offset = before;
  rd_kafka_DeleteRecords_t* del = rd_kafka_DeleteRecords_new(list);
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk.get());
  rd_kafka_DeleteRecords(rk.get(), &del, 1, nullptr, q);
  rd_kafka_DeleteRecords_destroy(del);
  rd_kafka_event_t* ev = admin_result(q, "DeleteRecords");
  const rd_kafka_topic_partition_list_t* offsets =
      rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev));
  const bool failed = !offsets || offsets->cnt != 1 || offsets->elems[0].err != RD_KAFKA_RESP_ERR_NO_ERROR ||
                      offsets->elems[0].offset != before;
  rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  if (failed) throw std::runtime_error("DeleteRecords failed");
}

struct batch_times {
  std::int64_t first_offset = 0;
  std::int64_t sent = 0, acked = 0;
};

struct env {
  kafka_cluster kafka;
  producer prod{kafka.bootstrap()};
  batch_times early;  // produced before Warren started: older than its history
  std::unique_ptr<warren_process> w;

  env() {
    kafka.create_topic("timed", 1);
    kafka.create_topic("short", 1);
    early.sent = wall_ms();
    prod.produce("timed", 0, 10);
    early.acked = wall_ms();
    w = std::make_unique<warren_process>(fast_cluster_config("local", kafka.bootstrap()));
  }

  std::int64_t log_end_seen(const std::string& topic) const {
    const auto v = parse_json(w->get("/v3/kafka/local/topic/" + topic).body);
    return num(at(v, {"offsets", 0}));
  }

  // Produces `count` records and waits until Warren's poller has observed the new log end.
  batch_times produce_observed(const std::string& topic, int count) {
    batch_times b;
    b.first_offset = log_end_seen(topic);
    b.sent = wall_ms();
    const auto last = prod.produce(topic, 0, count);
    b.acked = wall_ms();
    BOOST_REQUIRE(poll_until([&] { return log_end_seen(topic) == last + 1; }, 30s));
    return b;
  }

  boost::json::value lag(const std::string& group) const {
    return parse_json(w->get("/v3/kafka/local/consumer/" + group + "/lag").body);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(time_lag)

BOOST_AUTO_TEST_CASE(time_lag_matches_known_produce_times_within_the_poll_bounds) {
  env e;
  BOOST_REQUIRE(poll_until([&] { return e.log_end_seen("timed") == 10; }, 30s));
  std::vector<batch_times> batches;
  for (int i = 0; i < 5; ++i) batches.push_back(e.produce_observed("timed", 10));  // offsets 10..59
  const batch_times& target = batches[1];  // records 20..29
  BOOST_REQUIRE(target.first_offset == 20);

  consumer_member_options mid{.group = "tl-mid", .topics = {"timed"}};
  mid.fixed_commit_offset = 20;
  consumer_member_options old{.group = "tl-old", .topics = {"timed"}};
  old.fixed_commit_offset = 5;
  consumer_member_options done{.group = "tl-done", .topics = {"timed"}};
  done.fixed_commit_offset = 60;
  consumer_member m1(e.kafka.bootstrap(), mid), m2(e.kafka.bootstrap(), old), m3(e.kafka.bootstrap(), done);

  auto partition_warren = [&](const std::string& group, boost::json::value& body) {
    body = e.lag(group);
    return at(body, {"status", "partitions", 0, "warren"});
  };
  auto committed_is = [&](const std::string& group, std::int64_t offset) {
    boost::json::value body;
    const auto w = partition_warren(group, body);
    return num(at(body, {"status", "partitions", 0, "end", "offset"})) == offset && w.is_object() &&
           at(w, {"time_lag_s"}).is_number();
  };
  BOOST_REQUIRE(poll_until([&] { return committed_is("tl-mid", 20); }, 60s));
  BOOST_REQUIRE(poll_until([&] { return committed_is("tl-old", 5); }, 60s));
  BOOST_REQUIRE(poll_until([&] { return committed_is("tl-done", 60); }, 60s));

  // Interpolated: the record at 20 was appended in [target.sent, target.acked].
  {
    boost::json::value body;
    const auto w = partition_warren("tl-mid", body);
    const std::int64_t evaluated_at = num(at(body, {"status", "warren", "evaluated_at"}));
    const double lag_s = *dbl(at(w, {"time_lag_s"}));
    const double err_s = *dbl(at(w, {"time_lag_max_error_s"}));
    BOOST_TEST(str(at(w, {"time_lag_method"})) == "observed_history");
    BOOST_TEST(!at(w, {"time_lag_lower_bound"}).as_bool());
    const double bound_ms = static_cast<double>(target.acked - target.sent + 2 * round_ms);
    BOOST_TEST(err_s * 1000 <= bound_ms, "max error " << err_s << " s, bound " << bound_ms << " ms");
    const double appended_est = static_cast<double>(evaluated_at) - lag_s * 1000;
    BOOST_TEST(appended_est >= static_cast<double>(target.sent) - err_s * 1000 - 1,
               "estimated append " << appended_est << " sent " << target.sent);
    BOOST_TEST(appended_est <= static_cast<double>(target.acked) + err_s * 1000 + 1,
               "estimated append " << appended_est << " acked " << target.acked);
    BOOST_TEST(num(at(w, {"log_end_offset"})) == 60);
    BOOST_TEST(num(at(body, {"status", "partitions", 0, "current_lag"})) == 40);
    // The group's max is this partition.
    BOOST_TEST(*dbl(at(body, {"status", "warren", "max_time_lag_s"})) == lag_s);
    BOOST_TEST(str(at(body, {"status", "warren", "max_time_lag_topic"})) == "timed");
    // A fixed commit does not drain.
    BOOST_TEST(at(w, {"time_to_drain_s"}).is_null());
    BOOST_TEST(at(body, {"status", "warren", "time_to_drain_s"}).is_null());
  }
  // Older than the history (produced before Warren started): a lower bound, never more than the truth.
  {
    boost::json::value body;
    const auto w = partition_warren("tl-old", body);
    const std::int64_t evaluated_at = num(at(body, {"status", "warren", "evaluated_at"}));
    const double lag_s = *dbl(at(w, {"time_lag_s"}));
    BOOST_TEST(at(w, {"time_lag_lower_bound"}).as_bool());
    BOOST_TEST(at(w, {"time_lag_max_error_s"}).is_null());
    BOOST_TEST(lag_s * 1000 <= static_cast<double>(evaluated_at - e.early.acked) + 1);
    BOOST_TEST(at(body, {"status", "warren", "max_time_lag_lower_bound"}).as_bool());
  }
  // Caught up.
  {
    boost::json::value body;
    const auto w = partition_warren("tl-done", body);
    BOOST_TEST(*dbl(at(w, {"time_lag_s"})) == 0.0);
    BOOST_TEST(str(at(w, {"time_lag_method"})) == "caught_up");
    BOOST_TEST(*dbl(at(w, {"time_to_drain_s"})) == 0.0);
  }
  // With WARREN_CAPTURE_EXAMPLES=DIR, the answers are kept as examples (proto/examples/).
  if (const char* dir = std::getenv("WARREN_CAPTURE_EXAMPLES")) {
    std::ofstream(std::filesystem::path(dir) / "http-consumer-lag-seconds.json")
        << e.w->get("/v3/kafka/local/consumer/tl-mid/lag").body;
    std::ofstream(std::filesystem::path(dir) / "http-consumer-lag-seconds-lower-bound.json")
        << e.w->get("/v3/kafka/local/consumer/tl-old/lag").body;
  }
  // The same values in /metrics, under kafka-lag-exporter's names and Warren's.
  const auto metrics = e.w->get("/metrics").body;
  BOOST_TEST(metrics.find("kafka_consumergroup_group_lag_seconds{cluster_name=\"local\",group=\"tl-mid\",topic=\"timed\","
                          "partition=\"0\",member_host=") != std::string::npos);
  BOOST_TEST(metrics.find("kafka_consumergroup_group_lag{cluster_name=\"local\",group=\"tl-mid\"") != std::string::npos);
  BOOST_TEST(metrics.find("kafka_consumergroup_group_max_lag_seconds{cluster_name=\"local\",group=\"tl-old\"} ") !=
             std::string::npos);
  BOOST_TEST(metrics.find("kafka_partition_latest_offset{cluster_name=\"local\",topic=\"timed\",partition=\"0\"} 60\n") !=
             std::string::npos);
  BOOST_TEST(metrics.find("warren_consumer_partition_lag_seconds{cluster=\"local\",consumer_group=\"tl-old\",topic="
                          "\"timed\",partition=\"0\",method=\"observed_history\",lower_bound=\"true\"} ") !=
             std::string::npos);
  BOOST_TEST(metrics.find("warren_consumer_partition_lag_seconds{cluster=\"local\",consumer_group=\"tl-done\",topic="
                          "\"timed\",partition=\"0\",method=\"caught_up\",lower_bound=\"false\"} 0\n") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(retention_risk_and_data_loss_after_delete_records) {
  env e;
  constexpr std::int64_t retention = 20'000;
  set_retention(e.kafka.bootstrap(), "short", retention);
  BOOST_REQUIRE(poll_until([&] { return e.log_end_seen("short") == 0; }, 30s));
  e.produce_observed("short", 100);
  consumer_member_options opts{.group = "tl-short", .topics = {"short"}};
  opts.fixed_commit_offset = 10;
  consumer_member m(e.kafka.bootstrap(), opts);

  boost::json::value body;
  auto w = [&] { return at(body, {"status", "partitions", 0, "warren"}); };
  // retention.ms comes with a metadata refresh (2 s), the log start with every third log-end round.
  BOOST_REQUIRE(poll_until(
      [&] {
        body = e.lag("tl-short");
        return num(at(w(), {"retention_ms"})) == retention && num(at(w(), {"log_start_offset"})) == 0 &&
               num(at(body, {"status", "partitions", 0, "end", "offset"})) == 10 &&
               at(w(), {"unread_deleted_in_s"}).is_number();
      },
      60s));
  // The oldest unread record becomes eligible for deletion retention.ms after it was appended.
  const double lag_s = *dbl(at(w(), {"time_lag_s"}));
  const double deleted_in = *dbl(at(w(), {"unread_deleted_in_s"}));
  BOOST_TEST(deleted_in == static_cast<double>(retention) / 1000 - lag_s, boost::test_tools::tolerance(0.0011));
  BOOST_TEST(deleted_in < static_cast<double>(retention) / 1000);
  BOOST_TEST(!at(w(), {"data_loss"}).as_bool());
  BOOST_TEST(*dbl(at(body, {"status", "warren", "unread_deleted_in_s"})) == deleted_in);
  BOOST_TEST(!at(body, {"status", "warren", "data_loss"}).as_bool());

  // The log start passes the committed offset: data the group never read is gone.
  delete_records(e.kafka.bootstrap(), "short", 0, 50);
  BOOST_REQUIRE(poll_until(
      [&] {
        body = e.lag("tl-short");
        return num(at(w(), {"log_start_offset"})) == 50;
      },
      30s));
  BOOST_TEST(at(w(), {"data_loss"}).as_bool());
  BOOST_TEST(num(at(w(), {"records_lost"})) == 40);
  BOOST_TEST(at(body, {"status", "warren", "data_loss"}).as_bool());
  BOOST_TEST(num(at(body, {"status", "warren", "data_loss_partitions"})) == 1);
  // Burrow's part of the answer is unchanged by it.
  BOOST_TEST(num(at(body, {"status", "partitions", 0, "current_lag"})) == 90);
  BOOST_REQUIRE(poll_until(
      [&] {
        const auto metrics = e.w->get("/metrics").body;
        return metrics.find("kafka_partition_earliest_offset{cluster_name=\"local\",topic=\"short\",partition=\"0\"} 50\n") !=
                   std::string::npos &&
               metrics.find("warren_consumer_data_loss{cluster=\"local\",consumer_group=\"tl-short\"} 1\n") !=
                   std::string::npos &&
               metrics.find("warren_consumer_partition_records_lost{cluster=\"local\",consumer_group=\"tl-short\","
                            "topic=\"short\",partition=\"0\"} 40\n") != std::string::npos &&
               metrics.find("warren_topic_retention_seconds{cluster=\"local\",topic=\"short\"} 20\n") != std::string::npos;
      },
      10s));
}

BOOST_AUTO_TEST_SUITE_END()
