// Lag in seconds, rates, time to drain and retention risk (evaluator/time_lag.hpp, rules.hpp's
// evaluate_time_lag and the group aggregates), and how they print under `warren` (burrow_json).
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "service/evaluator/rules.hpp"
#include "service/evaluator/time_lag.hpp"
#include "service/http/burrow_json.hpp"
#include "service/storage/model.hpp"

namespace warren {
namespace {
namespace json = boost::json;
constexpr std::int64_t t0 = 1'700'000'000'000;

// LEO 1000 at t0, 1100 at t0+10 s, 1200 at t0+20 s.
const std::vector<history_point> steady = {{1000, t0}, {1100, t0 + 10'000}, {1200, t0 + 20'000}};

consumer_offset commit(std::int64_t offset, std::int64_t ts) { return {offset, 0, ts, ts, std::nullopt}; }
}  // namespace

BOOST_AUTO_TEST_SUITE(evaluator_time_lag)

BOOST_AUTO_TEST_CASE(estimate_table) {
  struct row {
    const char* what;
    std::vector<history_point> h;
    std::int64_t committed;
    time_lag_estimate want;
  };
  const std::int64_t now = t0 + 30'000;
  const std::vector<row> rows = {
      {"no history", {}, 1000, {-1, -1, time_lag_method::none, false}},
      {"at the log end", steady, 1200, {0, 0, time_lag_method::caught_up, false}},
      {"past the sampled log end", steady, 1300, {0, 0, time_lag_method::caught_up, false}},
      // record 1150 is the 51st of 100 appended in (10 s, 20 s]: at 15.1 s, 14.9 s old
      {"interpolated", steady, 1150, {14'900, 10'000, time_lag_method::observed_history, false}},
      {"first record of a bracket", steady, 1000, {29'900, 10'000, time_lag_method::observed_history, false}},
      {"last record of a bracket", steady, 1099, {20'000, 10'000, time_lag_method::observed_history, false}},
      {"older than the history: lower bound", steady, 999, {30'000, -1, time_lag_method::observed_history, true}},
      {"one point, behind it", {{1000, t0}}, 900, {30'000, -1, time_lag_method::observed_history, true}},
      {"one point, at it", {{1000, t0}}, 1000, {0, 0, time_lag_method::caught_up, false}},
      // plateau 1000 from 0 to 60 s, then 100 records by 70 s: record 1000 came after 60 s
      {"after a plateau", {{1000, t0 - 40'000}, {1000, t0 + 20'000}, {1100, t0 + 25'000}}, 1000,
       {9'950, 5'000, time_lag_method::observed_history, false}},
  };
  for (const auto& r : rows) {
    const auto got = estimate_time_lag(r.h, r.committed, now);
    BOOST_TEST(got.lag_ms == r.want.lag_ms, r.what);
    BOOST_TEST(got.max_error_ms == r.want.max_error_ms, r.what);
    BOOST_TEST(to_string(got.method) == to_string(r.want.method), r.what);
    BOOST_TEST(got.lower_bound == r.want.lower_bound, r.what);
  }
}

BOOST_AUTO_TEST_CASE(log_end_at_interpolates_and_clamps) {
  BOOST_TEST(!log_end_at({}, t0));
  BOOST_TEST(*log_end_at(steady, t0 - 1) == 1000.0);
  BOOST_TEST(*log_end_at(steady, t0 + 5'000) == 1050.0);
  BOOST_TEST(*log_end_at(steady, t0 + 99'000) == 1200.0);
}

BOOST_AUTO_TEST_CASE(rates_and_time_to_drain) {
  const std::vector<consumer_offset> w = {commit(900, t0), commit(1000, t0 + 10'000), commit(1150, t0 + 20'000)};
  BOOST_TEST(*consume_rate(w) == 12.5);  // 250 records in 20 s
  BOOST_TEST(!consume_rate(std::vector<consumer_offset>{commit(1, t0)}));
  BOOST_TEST(!consume_rate(std::vector<consumer_offset>{commit(1, t0), commit(5, t0)}));
  BOOST_TEST(*produce_rate(steady, t0, t0 + 20'000) == 10.0);
  BOOST_TEST(*produce_rate(steady, t0 + 5'000, t0 + 10'000) == 10.0);
  BOOST_TEST(*produce_rate(steady, t0 + 50'000, t0 + 60'000) == 10.0);  // outside: the whole history
  BOOST_TEST(!produce_rate(std::vector<history_point>{{1, t0}}, t0, t0 + 1));
  BOOST_TEST(*time_to_drain_s(50, 12.5, 10.0, false) == 20.0);
  BOOST_TEST(*time_to_drain_s(0, std::nullopt, std::nullopt, true) == 0.0);
  BOOST_TEST(!time_to_drain_s(50, 10.0, 10.0, false));  // not gaining
  BOOST_TEST(!time_to_drain_s(50, 12.5, 10.0, true));   // stopped
  BOOST_TEST(!time_to_drain_s(50, std::nullopt, 10.0, false));
}

BOOST_AUTO_TEST_CASE(retention_risk_and_data_loss) {
  const time_lag_estimate lag{30'000, 10'000, time_lag_method::observed_history, false};
  BOOST_TEST(*unread_deleted_in_ms(10, lag, 60'000) == 30'000);
  BOOST_TEST(*unread_deleted_in_ms(10, lag, 20'000) == -10'000);  // already eligible
  BOOST_TEST(!unread_deleted_in_ms(0, lag, 60'000));              // nothing unread
  BOOST_TEST(!unread_deleted_in_ms(10, lag, -1));                 // infinite
  BOOST_TEST(!unread_deleted_in_ms(10, lag, retention_unknown));
  BOOST_TEST(!unread_deleted_in_ms(10, time_lag_estimate{}, 60'000));
  BOOST_TEST(records_lost(100, 150) == 50u);
  BOOST_TEST(records_lost(150, 150) == 0u);
  BOOST_TEST(records_lost(100, -1) == 0u);
}

// From the storage model through evaluate_group to the JSON: Burrow's fields first and unchanged,
// then `warren` with every field.
BOOST_AUTO_TEST_CASE(group_evaluation_reports_time_lag_under_warren) {
  storage_options so;
  so.intervals = 5;
  cluster_state s(so);
  for (int i = 0; i <= 6; ++i) {
    // partition 0 grows 100 records per 10 s; partition 1 stays at 500
    s.set_broker_offset({"t", partition_id{0}, 2, offset_t{1000 + 100 * i}}, timestamp_ms{t0 + 10'000 * i});
    s.set_broker_offset({"t", partition_id{1}, 2, offset_t{500}}, timestamp_ms{t0 + 10'000 * i});
  }
  s.set_log_start("t", partition_id{0}, offset_t{1200});
  s.set_log_start("t", partition_id{1}, offset_t{0});
  s.set_retention("t", 3'600'000);
  // partition 0: commits 1100 → 1150 (behind the log start: data loss); partition 1: caught up
  s.add_commit({"g", "t", partition_id{0}, offset_t{1100}, 1, timestamp_ms{t0 + 40'000}}, timestamp_ms{t0 + 40'000});
  s.add_commit({"g", "t", partition_id{0}, offset_t{1150}, 2, timestamp_ms{t0 + 60'000}}, timestamp_ms{t0 + 60'000});
  s.add_commit({"g", "t", partition_id{1}, offset_t{500}, 3, timestamp_ms{t0 + 60'000}}, timestamp_ms{t0 + 60'000});
  const timestamp_ms now{t0 + 65'000};
  group_view v;
  BOOST_REQUIRE(s.view_group("g", now, v));
  const auto g = evaluate_group("local", "g", v, now, evaluator_options{});
  BOOST_REQUIRE(g.partitions.size() == 2u);
  const auto& w0 = *g.partitions[0].warren;
  BOOST_TEST(w0.log_end_offset == 1600);
  BOOST_TEST(w0.log_start_offset == 1200);
  // record 1150 appended in (10 s, 20 s] at 15.1 s: 49.9 s old at 65 s
  BOOST_TEST(w0.time_lag.lag_ms == 49'900);
  BOOST_TEST(w0.time_lag.max_error_ms == 10'000);
  BOOST_TEST(*w0.consume_rate == 2.5f);   // 50 records in 20 s
  BOOST_TEST(*w0.produce_rate == 10.0f);  // over the same 20 s of history
  BOOST_TEST(!w0.time_to_drain_s);        // producing faster than consuming
  BOOST_TEST(w0.unread_deleted_in_ms == 3'600'000 - 49'900);
  BOOST_TEST(w0.records_lost == 50u);
  const auto& w1 = *g.partitions[1].warren;
  BOOST_TEST(to_string(w1.time_lag.method) == "caught_up");
  BOOST_TEST(*w1.time_to_drain_s == 0.0f);
  BOOST_TEST(w1.unread_deleted_in_ms == partition_time_lag::none);
  const auto& gw = *g.warren;
  BOOST_TEST(gw.evaluated_at == now.value);
  BOOST_TEST(gw.max_time_lag_ms == 49'900);
  BOOST_TEST(gw.max_time_lag_topic == "t");
  BOOST_TEST(gw.max_time_lag_partition == 0);
  BOOST_TEST(gw.sum_time_lag_ms == 49'900);
  BOOST_TEST(!gw.time_to_drain_s);  // partition 0 lags and does not drain
  BOOST_TEST(gw.data_loss_partitions == 1u);

  const std::string text = to_json(g);
  const auto o = json::parse(text).as_object();
  const auto& p0 = o.at("partitions").as_array()[0].as_object();
  std::vector<std::string> keys;
  for (const auto& kv : p0) keys.emplace_back(kv.key());
  const std::vector<std::string> want_keys = {"topic", "partition", "owner", "client_id", "status", "start",
                                              "end", "current_lag", "complete", "warren"};
  BOOST_TEST(keys == want_keys, boost::test_tools::per_element());
  BOOST_TEST(json::serialize(p0.at("warren")) ==
             R"({"log_end_offset":1600,"log_start_offset":1200,"time_lag_s":4.99E1,"time_lag_method":"observed_history",)"
             R"("time_lag_lower_bound":false,"time_lag_max_error_s":10,"consume_rate":2.5E0,"produce_rate":10,)"
             R"("time_to_drain_s":null,"retention_ms":3600000,"unread_deleted_in_s":3.5501E3,"data_loss":true,)"
             R"("records_lost":50})");
  BOOST_TEST(text.find(R"("time_lag_s":49.9,)") != std::string::npos);
  BOOST_TEST(text.find(R"("unread_deleted_in_s":3550.1,)") != std::string::npos);
  BOOST_TEST(text.find(R"(,"totallag":450,"warren":{"evaluated_at":1700000065000,"max_time_lag_s":49.9,)"
                       R"("max_time_lag_lower_bound":false,"max_time_lag_topic":"t","max_time_lag_partition":0,)"
                       R"("sum_time_lag_s":49.9,"time_to_drain_s":null,"unread_deleted_in_s":3550.1,"data_loss":true,)"
                       R"("data_loss_partitions":1}})") != std::string::npos,
             text);
  // /status keeps the group aggregates though it lists only the problem partitions.
  BOOST_TEST((only_problems(g).warren == g.warren));
}

BOOST_AUTO_TEST_CASE(draining_group_reports_time_to_drain) {
  storage_options so;
  so.intervals = 5;
  cluster_state s(so);
  for (int i = 0; i <= 4; ++i)
    s.set_broker_offset({"t", partition_id{0}, 1, offset_t{1000 + 10 * i}}, timestamp_ms{t0 + 10'000 * i});
  s.add_commit({"g", "t", partition_id{0}, offset_t{600}, 1, timestamp_ms{t0}}, timestamp_ms{t0});
  s.add_commit({"g", "t", partition_id{0}, offset_t{840}, 2, timestamp_ms{t0 + 40'000}}, timestamp_ms{t0 + 40'000});
  const timestamp_ms now{t0 + 41'000};
  group_view v;
  BOOST_REQUIRE(s.view_group("g", now, v));
  const auto g = evaluate_group("local", "g", v, now, evaluator_options{});
  const auto& w = *g.partitions[0].warren;
  // consume 6/s, produce 1/s: 200 records of lag drain in 40 s
  BOOST_TEST(*w.consume_rate == 6.0f);
  BOOST_TEST(*w.produce_rate == 1.0f);
  BOOST_TEST(*w.time_to_drain_s == 40.0f);
  BOOST_TEST(*g.warren->time_to_drain_s == 40.0f);
  BOOST_TEST(w.time_lag.lower_bound);  // 840 is below the oldest sample (1000)
  BOOST_TEST(w.time_lag.lag_ms == 41'000);
  BOOST_TEST(g.warren->max_time_lag_lower_bound);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace warren
