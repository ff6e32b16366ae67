// Evaluator rules (reference §d). Their JSON is tested in tests/unit/http/burrow_json_test.cpp.
#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>
#include <vector>

#include "service/evaluator/rules.hpp"
#include "service/http/burrow_json.hpp"
#include "service/storage/model.hpp"

namespace warren {
namespace {

const std::optional<std::uint64_t> null_lag;

// A commit: offset, timestamp in seconds, stored lag.
consumer_offset c(std::int64_t offset, std::int64_t ts_s, std::optional<std::uint64_t> lag) {
  return consumer_offset{offset, 0, ts_s * 1000, ts_s * 1000, lag};
}

struct rule_case {
  const char* name;
  std::vector<consumer_offset> window;
  std::vector<std::int64_t> broker;
  std::uint64_t current_lag;
  std::int64_t now_ms;
  std::uint64_t allowed_lag;
  status_code expected;
};

// Unless a case says otherwise the window spans 100..500 s and `now` is 600 s: not stopped
// (100 s since the last commit < 400 s span), and broker offsets are above every commit.
std::vector<rule_case> rule_cases() {
  const std::vector<std::int64_t> high{5000, 5100};
  return {
      {"ok_when_current_lag_is_zero", {c(10, 100, 5), c(10, 500, 5)}, high, 0, 9'999'000, 0, status_code::ok},
      {"ok_when_current_lag_within_allowed_lag", {c(10, 100, 5), c(10, 200, 5)}, high, 50, 9'999'000, 50,
       status_code::ok},
      {"stop_when_time_since_last_commit_exceeds_window_span",
       {c(100, 100, 90), c(200, 300, 80), c(300, 500, 70)}, high, 4700, 901'000, 0, status_code::stop},
      {"not_stop_when_time_since_last_commit_equals_span",
       {c(100, 100, 90), c(200, 300, 80), c(300, 500, 70)}, high, 4700, 900'000, 0, status_code::ok},
      {"stop_compares_whole_seconds_like_burrow",  // 900.999 s truncates to 900 s: not stopped
       {c(100, 100, 90), c(200, 300, 80), c(300, 500, 70)}, high, 4700, 900'999, 0, status_code::ok},
      {"stop_suppressed_when_recent_broker_offset_reached_commit",
       {c(100, 100, 90), c(200, 300, 80), c(300, 500, 70)}, {300, 5000}, 4700, 901'000, 0, status_code::ok},
      {"stop_single_commit_window_as_soon_as_time_passes", {c(100, 500, 50)}, high, 4900, 501'000, 0,
       status_code::stop},
      {"stall_single_commit_window_in_the_same_second", {c(100, 500, 50)}, high, 4900, 500'999, 0,
       status_code::stall},
      {"stop_when_out_of_order_window_has_negative_span", {c(100, 500, 90), c(200, 400, 80)}, high, 4800,
       400'000, 0, status_code::stop},
      {"stop_beats_rewind", {c(300, 100, 90), c(200, 300, 80), c(100, 500, 70)}, high, 4900, 901'000, 0,
       status_code::stop},
      {"rewind_when_offset_goes_back_and_does_not_recover",
       {c(100, 100, 90), c(300, 300, 80), c(200, 500, 70)}, high, 4800, 600'000, 0, status_code::rewind},
      {"rewind_even_with_zero_stored_lag", {c(100, 100, 0), c(300, 300, 0), c(200, 500, 0)}, high, 4800,
       600'000, 0, status_code::rewind},
      {"no_rewind_once_back_at_pre_rewind_offset",
       {c(100, 100, 90), c(300, 200, 80), c(200, 300, 85), c(300, 500, 70)}, high, 4700, 600'000, 0,
       status_code::ok},
      {"only_first_rewind_is_examined",
       {c(100, 100, 90), c(300, 200, 80), c(200, 300, 85), c(400, 400, 60), c(50, 500, 70)}, high, 4950,
       600'000, 0, status_code::ok},
      {"stall_when_offsets_never_move", {c(100, 100, 90), c(100, 300, 95), c(100, 500, 99)}, high, 4900,
       600'000, 0, status_code::stall},
      {"stall_beats_warn", {c(100, 100, 90), c(100, 300, 90), c(100, 500, 90)}, high, 4900, 600'000, 0,
       status_code::stall},
      {"stall_suppressed_by_zero_stored_lag", {c(100, 100, 0), c(100, 300, 95), c(100, 500, 99)}, high, 4900,
       600'000, 0, status_code::ok},
      {"stall_suppressed_by_stored_lag_within_allowed_lag", {c(100, 100, 20), c(100, 300, 95), c(100, 500, 99)},
       high, 4900, 600'000, 20, status_code::ok},
      {"warn_when_lag_never_decreases", {c(100, 100, 90), c(200, 300, 90), c(300, 500, 120)}, high, 4700,
       600'000, 0, status_code::warn},
      {"warn_ignores_null_lags", {c(100, 100, null_lag), c(200, 200, 90), c(250, 300, null_lag), c(300, 500, 95)},
       high, 4700, 600'000, 0, status_code::warn},
      {"warn_with_all_null_lags", {c(100, 100, null_lag), c(200, 500, null_lag)}, high, 4800, 600'000, 0,
       status_code::warn},
      {"warn_with_single_non_null_lag", {c(100, 100, null_lag), c(200, 500, 4800)}, high, 4800, 600'000, 0,
       status_code::warn},
      {"ok_when_lag_decreases_somewhere", {c(100, 100, 90), c(200, 300, 120), c(300, 500, 110)}, high, 4700,
       600'000, 0, status_code::ok},
      {"ok_when_lag_decreases_across_null", {c(100, 100, 90), c(200, 300, null_lag), c(300, 500, 80)}, high, 4700,
       600'000, 0, status_code::ok},
      {"zero_stored_lag_suppresses_warn", {c(100, 100, 0), c(200, 300, 10), c(300, 500, 20)}, high, 4700, 600'000,
       0, status_code::ok},
  };
}

partition_view add_partition(group_view& v, std::uint32_t topic, std::int32_t partition, std::uint32_t ring_length,
                             const std::vector<consumer_offset>& window, const std::vector<std::int64_t>& broker,
                             std::uint64_t current_lag, std::string_view owner = "", std::string_view client = "") {
  partition_view p;
  p.topic = topic;
  p.partition = partition;
  p.owner = owner;
  p.client_id = client;
  p.ring_length = ring_length;
  p.window_begin = static_cast<std::uint32_t>(v.samples.size());
  p.window_size = static_cast<std::uint32_t>(window.size());
  v.samples.insert(v.samples.end(), window.begin(), window.end());
  p.broker_begin = static_cast<std::uint32_t>(v.broker_offsets.size());
  p.broker_size = static_cast<std::uint32_t>(broker.size());
  v.broker_offsets.insert(v.broker_offsets.end(), broker.begin(), broker.end());
  p.current_lag = current_lag;
  v.partitions.push_back(p);
  return p;
}

// Ten commits, offsets advancing, lag shrinking to 0: OK. Optionally a stopped one.
std::vector<consumer_offset> healthy_window() {
  std::vector<consumer_offset> w;
  for (int i = 0; i < 10; ++i) w.push_back(c(100 * (i + 1), 100 + 10 * i, 90 - 10 * static_cast<std::uint64_t>(i)));
  return w;
}

const timestamp_ms eval_now{200'000};

}  // namespace

BOOST_AUTO_TEST_SUITE(evaluator_rules)

BOOST_AUTO_TEST_CASE(to_string_spells_burrow_statuses) {
  BOOST_TEST(to_string(status_code::notfound) == "NOTFOUND");
  BOOST_TEST(to_string(status_code::ok) == "OK");
  BOOST_TEST(to_string(status_code::warn) == "WARN");
  BOOST_TEST(to_string(status_code::err) == "ERR");
  BOOST_TEST(to_string(status_code::stop) == "STOP");
  BOOST_TEST(to_string(status_code::stall) == "STALL");
  BOOST_TEST(to_string(status_code::rewind) == "REWIND");
  BOOST_TEST(static_cast<int>(status_code::rewind) == 6);
}

BOOST_AUTO_TEST_CASE(partition_rules_follow_burrow_order) {
  for (const auto& rc : rule_cases()) {
    BOOST_TEST_CONTEXT("case " << rc.name) {
      const auto got = calculate_partition_status(rc.window, rc.broker, rc.current_lag, timestamp_ms{rc.now_ms},
                                                  rc.allowed_lag);
      BOOST_TEST(to_string(got) == to_string(rc.expected));
    }
  }
}

BOOST_AUTO_TEST_CASE(partition_evaluation_edge_cases) {
  struct edge_case {
    const char* name;
    std::uint32_t ring_length;
    std::vector<consumer_offset> window;
    std::uint64_t current_lag;
    float minimum_complete;
    status_code status;
    float complete;
    bool has_ends;
  };
  const std::vector<edge_case> cases{
      {"never_committed_is_ok_and_incomplete", 0, {}, 0, 0.0f, status_code::ok, 0.0f, false},
      {"ring_of_nulls_is_one_tenth_complete", 10, {}, 0, 0.0f, status_code::ok, 0.1f, false},
      {"incomplete_window_is_still_evaluated", 10, {c(100, 100, 5), c(200, 110, 5), c(300, 120, 5)}, 7, 0.0f,
       status_code::stop, 0.3f, true},
      {"below_minimum_complete_stays_ok", 10, {c(100, 100, 5), c(200, 110, 5), c(300, 120, 5)}, 7, 0.5f,
       status_code::ok, 0.3f, true},
      {"full_window_is_complete", 3, {c(100, 100, 5), c(200, 110, 5), c(300, 120, 5)}, 7, 1.0f, status_code::stop,
       1.0f, true},
  };
  for (const auto& ec : cases) {
    BOOST_TEST_CONTEXT("case " << ec.name) {
      group_view v;
      v.topics.push_back("t");
      const auto p = add_partition(v, 0, 3, ec.ring_length, ec.window, {9999}, ec.current_lag, "/1.2.3.4", "cid");
      evaluator_options o;
      o.minimum_complete = ec.minimum_complete;
      const auto ps = evaluate_partition(v, p, eval_now, o);
      BOOST_TEST(to_string(ps.status) == to_string(ec.status));
      BOOST_TEST(ps.complete == ec.complete);
      BOOST_TEST(ps.start.has_value() == ec.has_ends);
      BOOST_TEST(ps.end.has_value() == ec.has_ends);
      if (ec.has_ends) {
        BOOST_TEST(ps.start->offset == ec.window.front().offset);
        BOOST_TEST(ps.end->offset == ec.window.back().offset);
      }
      BOOST_TEST(ps.topic == "t");
      BOOST_TEST(ps.partition == 3);
      BOOST_TEST(ps.owner == "/1.2.3.4");
      BOOST_TEST(ps.client_id == "cid");
      BOOST_TEST(ps.current_lag == ec.current_lag);
    }
  }
}

BOOST_AUTO_TEST_CASE(group_status_aggregates_burrow_style) {
  struct part {
    std::vector<consumer_offset> window;  // empty = never committed
    std::uint64_t current_lag;
  };
  const auto ok = healthy_window();
  const std::vector<consumer_offset> warn{c(100, 100, 90), c(200, 150, 95), c(300, 190, 99)};  // now 200 s
  const std::vector<consumer_offset> stop{c(100, 100, 90), c(200, 110, 95)};
  const std::vector<consumer_offset> stall{c(100, 100, 90), c(100, 150, 95), c(100, 190, 99)};
  struct group_case {
    const char* name;
    std::vector<part> parts;
    status_code status;
    float complete;
    std::uint64_t totallag;
    std::int32_t maxlag_partition;  // -1 = null
  };
  const std::vector<group_case> cases{
      {"all_ok", {{ok, 0}, {ok, 0}}, status_code::ok, 1.0f, 0, 0},
      {"warn_raises_group_to_warn", {{ok, 0}, {warn, 30}}, status_code::warn, 1.0f, 30, 1},
      {"stop_makes_err", {{stop, 40}, {ok, 0}}, status_code::err, 1.0f, 40, 0},
      {"stall_makes_err_and_warn_does_not_lower_it", {{stall, 10}, {warn, 10}}, status_code::err, 1.0f, 20, 0},
      {"warn_then_rewind_makes_err", {{warn, 10}, {{c(300, 100, 90), c(200, 150, 95), c(100, 190, 99)}, 10}},
       status_code::err, 1.0f, 20, 0},
      {"never_committed_partitions_count_but_are_incomplete", {{ok, 0}, {{}, 0}, {{}, 0}, {ok, 0}},
       status_code::ok, 0.5f, 0, 0},
      {"maxlag_tie_keeps_first_in_topic_partition_order", {{ok, 5}, {ok, 7}, {ok, 7}, {ok, 2}}, status_code::ok,
       1.0f, 21, 1},
      {"no_partitions_complete_zero_maxlag_null", {}, status_code::ok, 0.0f, 0, -1},
  };
  for (const auto& gc : cases) {
    BOOST_TEST_CONTEXT("case " << gc.name) {
      group_view v;
      v.topics.push_back("t");
      std::int32_t pid = 0;
      for (const auto& p : gc.parts) {
        const std::uint32_t len = p.window.empty() ? 0u : static_cast<std::uint32_t>(p.window.size());
        add_partition(v, 0, pid++, len, p.window, {100000}, p.current_lag);
      }
      // every committed window is full here, so only never-committed partitions are incomplete
      const auto g = evaluate_group("local", "grp", v, eval_now, evaluator_options{});
      BOOST_TEST(g.cluster == "local");
      BOOST_TEST(g.group == "grp");
      BOOST_TEST(to_string(g.status) == to_string(gc.status));
      BOOST_TEST(g.partition_count == gc.parts.size());
      BOOST_TEST(g.partitions.size() == gc.parts.size());
      BOOST_TEST(g.totallag == gc.totallag);
      BOOST_TEST(g.complete == gc.complete);
      BOOST_TEST(g.maxlag.has_value() == (gc.maxlag_partition >= 0));
      if (g.maxlag) BOOST_TEST(g.maxlag->partition == gc.maxlag_partition);
    }
  }
}

BOOST_AUTO_TEST_CASE(group_complete_counts_only_full_windows) {
  group_view v;
  v.topics.push_back("t");
  add_partition(v, 0, 0, 10, healthy_window(), {10000}, 0);
  add_partition(v, 0, 1, 10, {c(100, 150, 0)}, {10000}, 0);
  add_partition(v, 0, 2, 10, healthy_window(), {10000}, 0);
  const auto g = evaluate_group("local", "grp", v, eval_now, evaluator_options{});
  BOOST_TEST(g.complete == 2.0f / 3.0f);
  BOOST_TEST(go_float32(g.complete) == "0.6666667");
}

BOOST_AUTO_TEST_CASE(maxlag_orders_by_topic_then_partition) {
  group_view v;
  v.topics = {"a", "b"};
  add_partition(v, 0, 0, 10, healthy_window(), {1}, 3);
  add_partition(v, 0, 1, 10, healthy_window(), {1}, 9);
  add_partition(v, 1, 0, 10, healthy_window(), {1}, 9);
  const auto g = evaluate_group("local", "grp", v, eval_now, evaluator_options{});
  BOOST_REQUIRE(g.maxlag);
  BOOST_TEST(g.maxlag->topic == "a");
  BOOST_TEST(g.maxlag->partition == 1);
  BOOST_TEST(g.partitions[2].topic == "b");
}

BOOST_AUTO_TEST_CASE(only_problems_keeps_non_ok_partitions_and_the_aggregates) {
  group_view v;
  v.topics.push_back("t");
  add_partition(v, 0, 0, 10, healthy_window(), {10000}, 0);
  add_partition(v, 0, 1, 2, {c(100, 100, 90), c(200, 110, 95)}, {100000}, 50);  // STOP
  const auto all = evaluate_group("local", "grp", v, eval_now, evaluator_options{});
  const auto problems = only_problems(all);
  BOOST_TEST(problems.partitions.size() == 1u);
  BOOST_TEST(problems.partitions[0].partition == 1);
  BOOST_TEST(problems.partition_count == 2u);
  BOOST_TEST(problems.totallag == 50u);
  BOOST_TEST((problems.maxlag == all.maxlag));
  BOOST_TEST(to_string(problems.status) == "ERR");
  const auto none = only_problems(evaluate_group("local", "grp", group_view{}, eval_now, evaluator_options{}));
  BOOST_TEST(to_json(none) ==
             R"({"cluster":"local","group":"grp","status":"OK","complete":0,"partitions":[],"partition_count":0,)"
             R"("maxlag":null,"totallag":0,"warren":{"evaluated_at":200000,"max_time_lag_s":null,)"
             R"("max_time_lag_lower_bound":false,"max_time_lag_topic":null,"max_time_lag_partition":null,)"
             R"("sum_time_lag_s":0,"time_to_drain_s":0,"unread_deleted_in_s":null,"data_loss":false,)"
             R"("data_loss_partitions":0}})");
}

BOOST_AUTO_TEST_CASE(evaluates_a_view_from_the_storage_model) {
  storage_options so;
  so.intervals = 3;
  cluster_state s(so);
  const std::int64_t t0 = 1'700'000'000'000;
  s.set_broker_offset({"orders", partition_id{0}, 2, offset_t{1000}}, timestamp_ms{t0});
  s.set_broker_offset({"orders", partition_id{1}, 2, offset_t{1000}}, timestamp_ms{t0});
  // partition 0: consumer keeps up; partition 1: committed twice and stopped
  for (int i = 0; i < 3; ++i)
    s.add_commit({"g", "orders", partition_id{0}, offset_t{1000}, 10 + i, timestamp_ms{t0 + i * 60'000}},
                 timestamp_ms{t0 + i * 60'000});
  s.add_commit({"g", "orders", partition_id{1}, offset_t{400}, 1, timestamp_ms{t0}}, timestamp_ms{t0});
  s.add_commit({"g", "orders", partition_id{1}, offset_t{500}, 2, timestamp_ms{t0 + 60'000}},
               timestamp_ms{t0 + 60'000});
  const timestamp_ms now{t0 + 180'000};
  s.set_broker_offset({"orders", partition_id{1}, 2, offset_t{2000}}, now);
  group_view v;
  BOOST_REQUIRE(s.view_group("g", now, v));
  const auto g = evaluate_group("local", "g", v, now, evaluator_options{});
  BOOST_TEST(to_string(g.status) == "ERR");
  BOOST_TEST(to_string(g.partitions[0].status) == "OK");
  BOOST_TEST(to_string(g.partitions[1].status) == "STOP");
  BOOST_TEST(g.partitions[1].current_lag == 1500u);
  BOOST_TEST(g.complete == 0.5f);
  BOOST_TEST(g.maxlag->partition == 1);
}

BOOST_AUTO_TEST_CASE(not_found_status_matches_burrow) {
  BOOST_TEST(to_json(not_found_status("local", "ghost")) ==
             R"({"cluster":"local","group":"ghost","status":"NOTFOUND","complete":1,"partitions":[],)"
             R"("partition_count":0,"maxlag":null,"totallag":0})");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace warren
