// The log-end history kept per partition for lag in seconds (storage/log_end_history.hpp): plateau
// compression, restart on a lower offset, bounded size with recent points dense and the oldest kept,
// 32-bit delta limits, and the bracket property the time-lag estimate relies on.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

#include "service/evaluator/time_lag.hpp"
#include "service/storage/log_end_history.hpp"

namespace warren {
namespace {
constexpr std::int64_t t0 = 1'700'000'000'000;

std::vector<history_point> points(const detail::log_end_history& h) {
  std::vector<history_point> out;
  h.copy_to(out);
  return out;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(storage_log_end_history)

BOOST_AUTO_TEST_CASE(plateau_keeps_first_and_latest_sighting) {
  detail::log_end_history h;
  for (int i = 0; i < 5; ++i) h.add(100, t0 + i * 10'000);
  const auto p = points(h);
  BOOST_TEST_REQUIRE(p.size() == 2u);
  BOOST_TEST((p[0] == history_point{100, t0}));
  BOOST_TEST((p[1] == history_point{100, t0 + 40'000}));
  h.add(150, t0 + 50'000);
  BOOST_TEST(h.size() == 3u);
  BOOST_TEST((h.newest() == history_point{150, t0 + 50'000}));
}

BOOST_AUTO_TEST_CASE(out_of_order_time_is_ignored_and_lower_offset_restarts) {
  detail::log_end_history h;
  h.add(100, t0);
  h.add(200, t0 + 10'000);
  h.add(300, t0 + 10'000);  // same time: ignored
  h.add(300, t0 + 5'000);   // earlier: ignored
  BOOST_TEST(h.size() == 2u);
  h.add(50, t0 + 20'000);  // topic recreated
  const auto p = points(h);
  BOOST_TEST_REQUIRE(p.size() == 1u);
  BOOST_TEST((p[0] == history_point{50, t0 + 20'000}));
}

BOOST_AUTO_TEST_CASE(bounded_size_keeps_oldest_and_recent_points_at_poll_resolution) {
  detail::log_end_history h;
  const int rounds = 10'000;  // a steady producer polled every 10 s for ~28 h
  for (int i = 0; i < rounds; ++i) h.add(1000 + 100LL * i, t0 + 10'000LL * i);
  const auto p = points(h);
  BOOST_TEST(p.size() == detail::log_end_history::capacity);
  BOOST_TEST((p.front() == history_point{1000, t0}));  // the oldest anchors the lower bound
  BOOST_TEST((p.back() == history_point{1000 + 100LL * (rounds - 1), t0 + 10'000LL * (rounds - 1)}));
  // The newest gaps stay one poll interval.
  BOOST_TEST(p[p.size() - 1].time_ms - p[p.size() - 2].time_ms == 10'000);
  BOOST_TEST(p[p.size() - 2].time_ms - p[p.size() - 3].time_ms == 10'000);
  // Older gaps grow geometrically with age (15 points over 28 h: a ratio of about 2), so the
  // error bound of a lag stays proportional to it: every bracket is at most twice as wide as the
  // age of its younger end (plus one poll).
  const std::int64_t now = p.back().time_ms;
  for (std::size_t i = 0; i + 1 < p.size(); ++i) {
    BOOST_TEST(p[i + 1].time_ms > p[i].time_ms);
    BOOST_TEST(p[i + 1].offset >= p[i].offset);
    BOOST_TEST(p[i + 1].time_ms - p[i].time_ms <= 2 * (now - p[i + 1].time_ms) + 10'000, "gap " << i);
  }
  BOOST_TEST(p[1].time_ms - p[0].time_ms > 10'000);  // thinned: not the newest 15 polls
}

BOOST_AUTO_TEST_CASE(points_beyond_32_bit_deltas_drop_the_oldest) {
  detail::log_end_history h;
  h.add(0, t0);
  h.add(10, t0 + 1000);
  h.add(5'000'000'000, t0 + 2000);  // > 2^32 records after both
  auto p = points(h);
  BOOST_TEST_REQUIRE(p.size() == 1u);
  BOOST_TEST((p[0] == history_point{5'000'000'000, t0 + 2000}));
  h.add(5'000'000'010, t0 + 3000);
  h.add(5'000'000'020, t0 + 3000 + 50LL * 24 * 3600 * 1000);  // > 2^32 ms after the others
  p = points(h);
  BOOST_TEST_REQUIRE(p.size() == 1u);
  BOOST_TEST(p[0].offset == 5'000'000'020);
}

// The property the estimate rests on, under a bursty producer and jittered polls: the true append
// time of the record at C is within max_error of the estimate, or at least the lower bound.
BOOST_AUTO_TEST_CASE(estimate_brackets_the_true_append_time_under_bursty_production) {
  std::mt19937_64 rng(11);
  std::vector<std::int64_t> append_time;  // record i was appended at append_time[i]
  detail::log_end_history h;
  std::int64_t now = t0;
  for (int round = 0; round < 3000; ++round) {
    const std::int64_t next = now + 5'000 + static_cast<std::int64_t>(rng() % 10'000);  // 5..15 s polls
    const int burst = (rng() % 4 == 0) ? 0 : static_cast<int>(rng() % 500);          // idle a quarter of the time
    for (int k = 0; k < burst; ++k)
      append_time.push_back(now + 1 + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(next - now)));
    std::sort(append_time.end() - burst, append_time.end());
    now = next;
    h.add(static_cast<std::int64_t>(append_time.size()), now);  // LEO = records appended so far
    if (round % 7 != 0 || append_time.empty()) continue;
    const auto p = points(h);
    for (int q = 0; q < 20; ++q) {
      const auto c = static_cast<std::int64_t>(rng() % append_time.size());
      const auto e = estimate_time_lag(p, c, now);
      const std::int64_t true_lag = now - append_time[static_cast<std::size_t>(c)];
      BOOST_TEST_REQUIRE((e.method == time_lag_method::observed_history));
      if (e.lower_bound) {
        BOOST_TEST_REQUIRE(true_lag >= e.lag_ms);
      } else {
        BOOST_TEST_REQUIRE(std::llabs(true_lag - e.lag_ms) <= e.max_error_ms + 1, "C " << c << " round " << round);
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace warren
