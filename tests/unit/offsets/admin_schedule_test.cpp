// Tests for the pure kafka-admin fetch planner (service/offsets/admin_schedule.hpp). Time is a
// manual clock: the tests pass every `now` explicitly.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "service/offsets/admin_schedule.hpp"

using warren::admin_schedule;
using warren::admin_schedule_options;
using ms = std::chrono::milliseconds;
using outcome = admin_schedule::outcome;

namespace {

// A test clock for the pure core: milliseconds that only move when the test says so.
struct manual_ms {
  ms now{1'000'000};
  void advance(ms d) { now += d; }
};

std::vector<std::string> names(int n, const std::string& prefix = "g") {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

admin_schedule_options opts(int period_ms, int in_flight, int timeout_ms = 5000, int backoff_ms = 1000,
                            int backoff_max_ms = 8000) {
  admin_schedule_options o;
  o.period = ms{period_ms};
  o.max_in_flight = in_flight;
  o.request_timeout = ms{timeout_ms};
  o.backoff_initial = ms{backoff_ms};
  o.backoff_max = ms{backoff_max_ms};
  return o;
}

// Completes every request at once (ok) and returns how many were started.
std::size_t complete_all(admin_schedule& s, manual_ms& clk) {
  auto reqs = s.due(clk.now);
  for (const auto& r : reqs) BOOST_TEST(s.completed(r, outcome::ok, clk.now));
  return reqs.size();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(admin_schedule_suite)

BOOST_AUTO_TEST_CASE(new_groups_are_due_at_once_bounded_by_concurrency) {
  manual_ms clk;
  admin_schedule s(opts(10000, 8));
  s.set_groups(names(20), clk.now);
  auto first = s.due(clk.now);
  BOOST_TEST(first.size() == 8u);
  BOOST_TEST(s.in_flight() == 8u);
  BOOST_TEST(s.due(clk.now).empty());  // no free slot
  BOOST_TEST(!s.round_complete());
  // Every completion frees one slot for the next group.
  for (const auto& r : first) BOOST_TEST(s.completed(r, outcome::ok, clk.now));
  BOOST_TEST(s.due(clk.now).size() == 8u);
  std::set<std::string> distinct;
  for (const auto& r : first) distinct.insert(r.group);
  BOOST_TEST(distinct.size() == 8u);
}

BOOST_AUTO_TEST_CASE(first_round_completes_then_fetches_spread_over_the_period) {
  manual_ms clk;
  const int n = 1000;
  admin_schedule s(opts(10000, 8));
  s.set_groups(names(n), clk.now);
  std::size_t total = 0;
  while (!s.round_complete()) total += complete_all(s, clk);
  BOOST_TEST(total == static_cast<std::size_t>(n));
  BOOST_TEST(s.lag(clk.now).count() == 0);
  // Next period: starts per second of the period are spread (no burst at the start).
  std::map<std::int64_t, int> per_second;
  const ms end = clk.now + ms{10000};
  std::size_t second_round = 0;
  while (clk.now < end) {
    clk.advance(ms{10});
    auto started = complete_all(s, clk);
    per_second[(clk.now.count() / 1000)] += static_cast<int>(started);
    second_round += started;
  }
  BOOST_TEST(second_round == static_cast<std::size_t>(n));  // each group exactly once per period
  for (const auto& [sec, count] : per_second) BOOST_TEST(count < 200, "second " << sec << ": " << count);
}

BOOST_AUTO_TEST_CASE(each_group_is_fetched_once_per_period) {
  manual_ms clk;
  admin_schedule s(opts(1000, 4));
  s.set_groups(names(10), clk.now);
  std::map<std::string, int> fetches;
  for (int step = 0; step < 5000; ++step) {  // 5 periods in 1 ms steps
    for (const auto& r : s.due(clk.now)) {
      ++fetches[r.group];
      s.completed(r, outcome::ok, clk.now);
    }
    clk.advance(ms{1});
  }
  for (const auto& [g, c] : fetches) BOOST_TEST((c >= 5 && c <= 6), g << " fetched " << c << " times");
}

BOOST_AUTO_TEST_CASE(errors_back_off_one_group_capped_exponentially) {
  manual_ms clk;
  admin_schedule s(opts(100000, 8, 60000, 1000, 8000));
  s.set_groups({"bad", "good"}, clk.now);
  std::vector<std::int64_t> retry_gaps;
  ms last_bad_start = clk.now;
  bool bad_started = false;
  int good_fetches = 0;
  for (int step = 0; step < 60000; step += 10) {  // 60 s
    for (const auto& r : s.due(clk.now)) {
      if (r.group == "bad") {
        if (bad_started) retry_gaps.push_back((clk.now - last_bad_start).count());
        bad_started = true;
        last_bad_start = clk.now;
        s.completed(r, outcome::error, clk.now);
      } else {
        ++good_fetches;
        s.completed(r, outcome::ok, clk.now);
      }
    }
    clk.advance(ms{10});
  }
  BOOST_TEST((good_fetches >= 1 && good_fetches <= 2));  // period 100 s: the good group keeps its own schedule
  BOOST_REQUIRE(retry_gaps.size() >= 5u);
  const std::vector<std::int64_t> expected{1000, 2000, 4000, 8000, 8000};
  for (std::size_t i = 0; i < expected.size(); ++i) BOOST_TEST(retry_gaps[i] == expected[i], "retry " << i);
  BOOST_TEST(s.stats().failed >= 5u);
  BOOST_TEST(s.round_complete());  // a failed group counts as tried
}

BOOST_AUTO_TEST_CASE(success_resets_the_backoff) {
  manual_ms clk;
  admin_schedule s(opts(100000, 1, 60000, 1000, 8000));
  s.set_groups({"g"}, clk.now);
  auto r = s.due(clk.now);
  s.completed(r.at(0), outcome::error, clk.now);
  clk.advance(ms{1000});
  r = s.due(clk.now);
  s.completed(r.at(0), outcome::error, clk.now);
  clk.advance(ms{2000});
  r = s.due(clk.now);
  BOOST_REQUIRE(r.size() == 1u);
  s.completed(r.at(0), outcome::ok, clk.now);
  // Next regular fetch is at the group's phase; fail it: back to the initial backoff.
  auto next = s.next_event();
  BOOST_REQUIRE(next.has_value());
  clk.now = *next;
  r = s.due(clk.now);
  BOOST_REQUIRE(r.size() == 1u);
  s.completed(r.at(0), outcome::error, clk.now);
  BOOST_TEST((*s.next_event() - clk.now).count() == 1000);
}

BOOST_AUTO_TEST_CASE(throttling_waits_at_least_the_brokers_delay) {
  manual_ms clk;
  admin_schedule s(opts(100000, 2, 60000, 1000, 8000));
  s.set_groups({"g"}, clk.now);
  auto r = s.due(clk.now);
  s.completed(r.at(0), outcome::throttled, clk.now, ms{5000});
  BOOST_TEST((*s.next_event() - clk.now).count() == 5000);
  BOOST_TEST(s.stats().throttled == 1u);
}

BOOST_AUTO_TEST_CASE(a_slow_group_times_out_and_does_not_delay_the_others) {
  manual_ms clk;
  admin_schedule s(opts(1000, 2, 3000, 500, 4000));
  s.set_groups({"slow", "a", "b", "c"}, clk.now);
  std::map<std::string, int> done;
  admin_schedule::request slow_req;
  for (int step = 0; step < 10000; step += 10) {  // 10 s
    for (const auto& r : s.due(clk.now)) {
      if (r.group == "slow") {
        slow_req = r;  // never answered in time
      } else {
        ++done[r.group];
        s.completed(r, outcome::ok, clk.now);
      }
    }
    clk.advance(ms{10});
  }
  // With 2 slots and one held by the slow group for 3 s at a time, a, b, c still get ~1/s.
  for (const auto& g : {"a", "b", "c"}) BOOST_TEST(done[g] >= 9, g << " fetched " << done[g]);
  BOOST_TEST(s.stats().timed_out >= 2u);
  // A late answer to a timed-out request is ignored and counted.
  const auto late_before = s.stats().late;
  admin_schedule::request stale{"slow", 1};
  BOOST_TEST(!s.completed(stale, outcome::ok, clk.now));
  BOOST_TEST(s.stats().late == late_before + 1);
}

BOOST_AUTO_TEST_CASE(lag_reports_how_far_behind_schedule) {
  manual_ms clk;
  admin_schedule s(opts(1000, 1, 60000));
  s.set_groups({"a", "b", "c"}, clk.now);
  auto r = s.due(clk.now);  // one slot: b and c wait
  BOOST_REQUIRE(r.size() == 1u);
  BOOST_TEST(s.lag(clk.now).count() == 0);
  clk.advance(ms{700});
  BOOST_TEST(s.lag(clk.now).count() == 700);  // the other two have been due for 700 ms
  s.completed(r.at(0), outcome::ok, clk.now);
  r = s.due(clk.now);
  s.completed(r.at(0), outcome::ok, clk.now);
  r = s.due(clk.now);
  s.completed(r.at(0), outcome::ok, clk.now);
  BOOST_TEST(s.lag(clk.now).count() == 0);
}

BOOST_AUTO_TEST_CASE(vanished_groups_are_forgotten_and_their_answers_ignored) {
  manual_ms clk;
  admin_schedule s(opts(1000, 4));
  s.set_groups({"a", "b"}, clk.now);
  auto r = s.due(clk.now);
  BOOST_REQUIRE(r.size() == 2u);
  s.set_groups({"b", "c"}, clk.now);
  BOOST_TEST(s.groups() == 2u);
  BOOST_TEST(s.in_flight() == 1u);  // a's slot was freed
  for (const auto& q : r) BOOST_TEST(s.completed(q, outcome::ok, clk.now) == (q.group == "b"));
  BOOST_TEST(!s.round_complete());  // c is new
  auto next = s.due(clk.now);
  BOOST_REQUIRE(next.size() == 1u);
  BOOST_TEST(next[0].group == "c");
  s.completed(next[0], outcome::ok, clk.now);
  BOOST_TEST(s.round_complete());
}

BOOST_AUTO_TEST_CASE(next_event_is_the_earliest_due_or_deadline) {
  manual_ms clk;
  admin_schedule s(opts(1000, 1, 3000));
  BOOST_TEST(!s.next_event().has_value());
  s.set_groups({"a", "b"}, clk.now);
  BOOST_TEST(s.next_event()->count() == clk.now.count());
  auto r = s.due(clk.now);
  // Slot full: only the deadline can free it.
  BOOST_TEST(s.next_event()->count() == (clk.now + ms{3000}).count());
  s.completed(r.at(0), outcome::ok, clk.now);
  BOOST_TEST(s.next_event()->count() == clk.now.count());  // b is still due
}

BOOST_AUTO_TEST_CASE(phases_are_stable_and_within_the_period) {
  for (const auto& g : names(100)) {
    auto p = admin_schedule::phase_of(g, ms{7000});
    BOOST_TEST((p.count() >= 0 && p.count() < 7000));
    BOOST_TEST(p == admin_schedule::phase_of(g, ms{7000}));
  }
}

BOOST_AUTO_TEST_SUITE_END()
