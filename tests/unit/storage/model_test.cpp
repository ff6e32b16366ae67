// Storage model: Burrow's ring cases (reference §c) plus Warren's own behaviour.
#include <boost/test/unit_test.hpp>

#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "service/storage/model.hpp"

namespace warren {
namespace {

constexpr std::int64_t now_ms = 1'700'000'000'000;  // a whole second
const timestamp_ms now{now_ms};

struct commit_in {
  std::int64_t offset;
  std::int64_t order;
  std::int64_t ts;  // relative to start (= now − 100 s), as in Burrow's table
};
struct stored {
  std::int64_t offset;
  std::int64_t order;
  std::int64_t ts;  // relative to start
  std::optional<std::uint64_t> lag;
};

constexpr std::int64_t start = now_ms - 100'000;
const std::optional<std::uint64_t> null_lag;

storage_options burrow_test_options() {
  storage_options o;
  o.intervals = 10;
  o.min_distance_s = 1;
  return o;
}

cluster_state with_topic(storage_options o, std::int64_t broker, std::int32_t partitions = 1) {
  cluster_state s(std::move(o));
  for (std::int32_t p = 0; p < partitions; ++p)
    s.set_broker_offset({"testtopic", partition_id{p}, partitions, offset_t{broker}}, now);
  return s;
}

commit_outcome commit(cluster_state& s, std::string_view group, std::int32_t partition, std::int64_t offset,
                      std::int64_t order, std::int64_t ts_abs, timestamp_ms at = now,
                      std::string_view topic = "testtopic") {
  return s.add_commit({.group = group,
                       .topic = topic,
                       .partition = partition_id{partition},
                       .offset = offset_t{offset},
                       .order = order,
                       .timestamp = timestamp_ms{ts_abs}},
                      at);
}

std::vector<consumer_offset> window_of(const cluster_state& s, std::string_view group, std::string_view topic,
                                       std::int32_t partition, timestamp_ms at = now) {
  group_view v;
  BOOST_REQUIRE(s.view_group(group, at, v));
  for (const auto& p : v.partitions)
    if (v.topic(p) == topic && p.partition == partition) {
      auto w = v.window(p);
      return {w.begin(), w.end()};
    }
  BOOST_FAIL("partition not in view");
  return {};
}

std::vector<stored> seq(std::int64_t first_offset, std::int64_t step_offset, std::int64_t first_order,
                        std::int64_t step_order, std::int64_t count, std::int64_t ts_per_order,
                        std::int64_t broker) {
  std::vector<stored> v;
  for (std::int64_t i = 0; i < count; ++i) {
    const auto off = first_offset + i * step_offset;
    const auto ord = first_order + i * step_order;
    v.push_back({off, ord, ord * ts_per_order, static_cast<std::uint64_t>(broker - off)});
  }
  return v;
}

struct ring_case {
  const char* name;
  std::int64_t broker;
  std::vector<commit_in> inputs;
  std::vector<stored> expected;
};

std::vector<ring_case> burrow_ring_cases() {
  std::vector<ring_case> cases;
  // 0 append
  cases.push_back({"append",
                   5000,
                   {{1000, 1, 100000}, {2000, 2, 200000}, {3000, 3, 300000}, {4000, 4, 400000}, {5000, 5, 500000}},
                   {{1000, 1, 100000, 4000},
                    {2000, 2, 200000, 3000},
                    {3000, 3, 300000, 2000},
                    {4000, 4, 400000, 1000},
                    {5000, 5, 500000, 0}}});
  // 1 prepend until full
  {
    ring_case c{"prepend_until_full", 5000, {{1000, 20, 100000}, {2000, 30, 200000}}, {}};
    c.inputs.push_back({3000, 15, 300000});
    for (std::int64_t off = 900, ord = 14; ord >= 6; off -= 100, --ord) c.inputs.push_back({off, ord, 300000});
    for (std::int64_t off = 300, ord = 8; ord <= 14; off += 100, ++ord) c.expected.push_back({off, ord, 300000, null_lag});
    c.expected.push_back({3000, 15, 300000, null_lag});
    c.expected.push_back({1000, 20, 100000, 4000});
    c.expected.push_back({2000, 30, 200000, 3000});
    cases.push_back(std::move(c));
  }
  // 2 insert between
  cases.push_back({"insert_between",
                   5000,
                   {{1000, 20, 100000}, {2000, 30, 300000}, {3000, 40, 400000}, {1500, 25, 200000}},
                   {{1000, 20, 100000, 4000}, {1500, 25, 200000, null_lag}, {2000, 30, 300000, 3000}, {3000, 40, 400000, 2000}}});
  // 3 insert into full ring
  {
    ring_case c{"insert_into_full_ring", 10000, {}, {}};
    for (std::int64_t i = 1; i <= 10; ++i) c.inputs.push_back({i * 1000, i * 10, i * 100000});
    c.inputs.push_back({5500, 55, 550000});
    for (auto& s : seq(2000, 1000, 20, 10, 4, 10000, 10000)) c.expected.push_back(s);
    c.expected.push_back({5500, 55, 550000, null_lag});
    for (auto& s : seq(6000, 1000, 60, 10, 5, 10000, 10000)) c.expected.push_back(s);
    cases.push_back(std::move(c));
  }
  // 4 replace oldest when full
  {
    ring_case c{"replace_oldest_when_full", 10000, {}, {}};
    for (std::int64_t i = 1; i <= 10; ++i) c.inputs.push_back({i * 1000, i * 10, i * 100000});
    c.inputs.push_back({1500, 15, 150000});
    c.expected.push_back({1500, 15, 150000, null_lag});
    for (auto& s : seq(2000, 1000, 20, 10, 9, 10000, 10000)) c.expected.push_back(s);
    cases.push_back(std::move(c));
  }
  // 5 frequent commit (newest): merged into the 5000 slot, old timestamp kept
  {
    ring_case c{"frequent_commit_newest", 10000, {}, {}};
    for (std::int64_t i = 1; i <= 5; ++i) c.inputs.push_back({i * 1000, i * 10, i * 100000});
    c.inputs.push_back({6000, 60, 500001});
    for (auto& s : seq(1000, 1000, 10, 10, 4, 10000, 10000)) c.expected.push_back(s);
    c.expected.push_back({6000, 60, 500000, 4000});
    cases.push_back(std::move(c));
  }
  // 6 frequent commit (middle): merged into the 4000 slot, lag null
  {
    ring_case c{"frequent_commit_middle", 10000, {}, {}};
    for (std::int64_t i = 1; i <= 5; ++i) c.inputs.push_back({i * 1000, i * 10, i * 100000});
    c.inputs.push_back({4500, 45, 400001});
    for (auto& s : seq(1000, 1000, 10, 10, 3, 10000, 10000)) c.expected.push_back(s);
    c.expected.push_back({4500, 45, 400000, null_lag});
    c.expected.push_back({5000, 50, 500000, 5000});
    cases.push_back(std::move(c));
  }
  return cases;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(storage_model)

BOOST_AUTO_TEST_CASE(burrow_ring_cases_store_exactly_as_burrow) {
  for (const auto& c : burrow_ring_cases()) {
    BOOST_TEST_CONTEXT("case " << c.name) {
      auto s = with_topic(burrow_test_options(), c.broker);
      for (const auto& in : c.inputs) commit(s, "testgroup", 0, in.offset, in.order, start + in.ts);
      const auto w = window_of(s, "testgroup", "testtopic", 0);
      BOOST_TEST_REQUIRE(w.size() == c.expected.size());
      for (std::size_t i = 0; i < w.size(); ++i) {
        BOOST_TEST_CONTEXT("slot " << i) {
          BOOST_TEST(w[i].offset == c.expected[i].offset);
          BOOST_TEST(w[i].order == c.expected[i].order);
          BOOST_TEST(w[i].timestamp == start + c.expected[i].ts);
          BOOST_TEST(w[i].observed_at == now_ms);
          BOOST_TEST(w[i].lag.has_value() == c.expected[i].lag.has_value());
          if (w[i].lag && c.expected[i].lag) BOOST_TEST(*w[i].lag == *c.expected[i].lag);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(commit_outcomes_report_what_happened) {
  struct step {
    std::int64_t offset, order, ts;
    commit_outcome expected;
  };
  auto s = with_topic(burrow_test_options(), 10000);
  const std::vector<step> steps{
      {1000, 10, 100000, commit_outcome::appended},
      {2000, 20, 200000, commit_outcome::appended},
      {2000, 20, 200000, commit_outcome::dropped_duplicate},  // same order as the newest
      {1000, 10, 100000, commit_outcome::dropped_duplicate},  // same order in the middle
      {1500, 15, 150000, commit_outcome::inserted},
      {2100, 21, 200500, commit_outcome::merged},  // within min-distance of the newest
  };
  for (const auto& st : steps) {
    BOOST_TEST_CONTEXT("order " << st.order) {
      const auto got = commit(s, "g", 0, st.offset, st.order, start + st.ts);
      BOOST_TEST(static_cast<int>(got) == static_cast<int>(st.expected));
      BOOST_TEST(group_changed(got) == (st.expected == commit_outcome::appended ||
                                        st.expected == commit_outcome::inserted ||
                                        st.expected == commit_outcome::merged));
    }
  }
}

BOOST_AUTO_TEST_CASE(last_commit_moves_on_appends_only) {
  auto s = with_topic(burrow_test_options(), 10000);
  commit(s, "g", 0, 2000, 20, start + 200000);
  commit(s, "g", 0, 1000, 10, start + 300000);  // backfill with a later timestamp
  auto v = s.view_group("g", now);
  BOOST_REQUIRE(v);
  BOOST_TEST(v->last_commit == start + 200000);
}

BOOST_AUTO_TEST_CASE(min_distance_replaces_last_entry_without_advancing) {
  // Burrow: a commit at +90001 ms after one at +90000 replaces it.
  auto s = with_topic(burrow_test_options(), 10000);
  commit(s, "g", 0, 1000, 1, start + 90000);
  BOOST_TEST(static_cast<int>(commit(s, "g", 0, 1100, 2, start + 90001)) == static_cast<int>(commit_outcome::merged));
  const auto w = window_of(s, "g", "testtopic", 0);
  BOOST_TEST_REQUIRE(w.size() == 1u);
  BOOST_TEST(w[0].offset == 1100);
  BOOST_TEST(w[0].order == 2);
  BOOST_TEST(w[0].timestamp == start + 90000);
  BOOST_TEST(*w[0].lag == 8900u);
}

BOOST_AUTO_TEST_CASE(min_distance_zero_merges_only_when_timestamp_goes_backwards) {
  auto o = burrow_test_options();
  o.min_distance_s = 0;
  auto s = with_topic(o, 10000);
  commit(s, "g", 0, 1000, 1, start + 90000);
  commit(s, "g", 0, 1100, 2, start + 90000);  // same ts: 0 < 0 is false → append
  BOOST_TEST(window_of(s, "g", "testtopic", 0).size() == 2u);
  commit(s, "g", 0, 1200, 3, start + 89999);  // Burrow quirk: −1 < 0 → merge
  BOOST_TEST(window_of(s, "g", "testtopic", 0).size() == 2u);
}

BOOST_AUTO_TEST_CASE(lag_is_clamped_at_zero_when_commit_is_ahead_of_broker) {
  auto s = with_topic(burrow_test_options(), 1000);
  commit(s, "g", 0, 1500, 1, start);
  group_view v;
  BOOST_REQUIRE(s.view_group("g", now, v));
  BOOST_TEST(*v.window(v.partitions[0])[0].lag == 0u);
  BOOST_TEST(v.partitions[0].current_lag == 0u);
  s.set_broker_offset({"testtopic", partition_id{0}, 1, offset_t{1800}}, now);
  BOOST_REQUIRE(s.view_group("g", now, v));
  BOOST_TEST(v.partitions[0].current_lag == 300u);
  BOOST_TEST(*v.window(v.partitions[0])[0].lag == 0u);  // stored lag never recomputed
}

BOOST_AUTO_TEST_CASE(old_commits_are_dropped) {
  auto o = burrow_test_options();
  o.expire_group_s = 3600;
  auto s = with_topic(o, 1000);
  const auto threshold = (now_ms / 1000 - 3600) * 1000;
  BOOST_TEST(static_cast<int>(commit(s, "g", 0, 1, 1, threshold - 1)) ==
             static_cast<int>(commit_outcome::dropped_expired));
  BOOST_TEST(!s.has_group("g"));
  BOOST_TEST(static_cast<int>(commit(s, "g", 0, 1, 1, threshold)) == static_cast<int>(commit_outcome::appended));
}

BOOST_AUTO_TEST_CASE(allowlist_and_denylist_filter_groups) {
  auto o = burrow_test_options();
  o.group_allowlist = "^app-";
  o.group_denylist = "-test$";
  auto s = with_topic(o, 1000);
  BOOST_TEST(static_cast<int>(commit(s, "other", 0, 1, 1, start)) == static_cast<int>(commit_outcome::dropped_filtered));
  BOOST_TEST(static_cast<int>(commit(s, "app-x-test", 0, 1, 1, start)) ==
             static_cast<int>(commit_outcome::dropped_filtered));
  BOOST_TEST(static_cast<int>(commit(s, "app-x", 0, 1, 1, start)) == static_cast<int>(commit_outcome::appended));
  BOOST_TEST(s.groups() == std::vector<std::string>{"app-x"});
  // RE2: a 32 000-character name is searched like any other (std::regex overflowed the stack).
  BOOST_TEST(static_cast<int>(commit(s, "app-" + std::string(32000, 'a'), 0, 1, 1, start)) ==
             static_cast<int>(commit_outcome::appended));
  storage_options bad_regex;
  bad_regex.group_allowlist = "(";
  BOOST_CHECK_THROW((void)cluster_state(bad_regex), std::invalid_argument);
  storage_options bad_intervals;
  bad_intervals.intervals = 0;
  BOOST_CHECK_THROW((void)cluster_state(bad_intervals), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(expired_group_is_hidden_then_removed_by_expire) {
  auto o = burrow_test_options();
  o.expire_group_s = 60;
  auto s = with_topic(o, 1000);
  commit(s, "old", 0, 1, 1, now_ms - 30'000);
  commit(s, "fresh", 0, 1, 1, now_ms);
  const timestamp_ms later{now_ms + 40'000};
  BOOST_TEST(!s.view_group("old", later));  // Burrow's lazy check
  BOOST_TEST(s.view_group("fresh", later).has_value());
  BOOST_TEST(s.groups().size() == 2u);
  BOOST_TEST(s.expire(later) == std::vector<std::string>{"old"});
  BOOST_TEST(s.groups() == std::vector<std::string>{"fresh"});
}

BOOST_AUTO_TEST_CASE(view_sizes_topic_to_partition_count_and_keeps_untouched_partitions_empty) {
  auto s = with_topic(burrow_test_options(), 1000, 3);
  commit(s, "g", 1, 900, 1, start);
  group_view v;
  BOOST_REQUIRE(s.view_group("g", now, v));
  BOOST_TEST_REQUIRE(v.partitions.size() == 3u);
  BOOST_TEST(v.partitions[0].ring_length == 0u);
  BOOST_TEST(v.partitions[1].ring_length == 10u);
  BOOST_TEST(v.partitions[1].window_size == 1u);
  BOOST_TEST(v.partitions[1].current_lag == 100u);
  BOOST_TEST(v.partitions[2].ring_length == 0u);
  BOOST_TEST(v.partitions[2].current_lag == 0u);
  BOOST_TEST(s.tracked_partitions() == 1u);
}

BOOST_AUTO_TEST_CASE(broker_history_keeps_intervals_samples_with_observation_time) {
  auto o = burrow_test_options();
  o.intervals = 3;
  cluster_state s(o);
  for (std::int64_t i = 1; i <= 5; ++i)
    s.set_broker_offset({"t", partition_id{0}, 2, offset_t{i * 100}}, timestamp_ms{now_ms + i});
  const auto h = s.broker_history("t", partition_id{0});
  BOOST_TEST_REQUIRE(h.size() == 3u);
  BOOST_TEST(h[0].offset == 300);
  BOOST_TEST(h[0].observed_at == now_ms + 3);
  BOOST_TEST(h[2].offset == 500);
  // partition 1 has no sample: skipped by topic_offsets
  BOOST_TEST(*s.topic_offsets("t") == std::vector<std::int64_t>{500});
  BOOST_TEST(!s.topic_offsets("nope"));
  BOOST_TEST(*s.partition_count("t") == 2);
  s.set_broker_offset({"t", partition_id{2}, 4, offset_t{7}}, now);  // grows
  BOOST_TEST(*s.partition_count("t") == 4);
  s.set_broker_offset({"t", partition_id{1}, 1, offset_t{9}}, now);  // never shrinks
  BOOST_TEST(*s.partition_count("t") == 4);
  BOOST_TEST(*s.topic_offsets("t") == (std::vector<std::int64_t>{500, 9, 7}));
  BOOST_TEST(static_cast<int>(commit(s, "g", 0, 250, 1, now_ms, now, "t")) == static_cast<int>(commit_outcome::appended));
  group_view v;
  BOOST_REQUIRE(s.view_group("g", now, v));
  const auto b = v.broker(v.partitions[0]);
  BOOST_TEST((std::vector<std::int64_t>(b.begin(), b.end())) == (std::vector<std::int64_t>{300, 400, 500}));
}

BOOST_AUTO_TEST_CASE(owners_are_set_cleared_and_create_an_empty_ring) {
  auto s = with_topic(burrow_test_options(), 1000, 2);
  BOOST_TEST(s.set_owner({"g", "testtopic", partition_id{1}, "testhost.example.com", "test_client_id"}, now));
  BOOST_TEST(!s.set_owner({"g", "testtopic", partition_id{1}, "testhost.example.com", "test_client_id"}, now));
  BOOST_TEST(s.set_owner({"h", "testtopic", partition_id{0}, "testhost.example.com", "other"}, now));
  commit(s, "g", 1, 1, 1, now_ms);
  group_view v;
  BOOST_REQUIRE(s.view_group("g", now, v));
  BOOST_TEST(v.partitions[1].owner == "testhost.example.com");
  BOOST_TEST(v.partitions[1].client_id == "test_client_id");
  BOOST_TEST(v.partitions[0].owner == "");
  BOOST_TEST(s.clear_owners("g"));
  BOOST_TEST(!s.clear_owners("missing"));
  BOOST_REQUIRE(s.view_group("g", now, v));
  BOOST_TEST(v.partitions[1].owner == "");
  BOOST_TEST(v.partitions[1].client_id == "");
  // the owner string is still interned for "h"
  BOOST_REQUIRE(s.view_group("h", now, v) == false);  // h never committed: last_commit 0 → expired
  BOOST_TEST(s.has_group("h"));
  BOOST_TEST(s.expire(now) == std::vector<std::string>{"h"});
}

BOOST_AUTO_TEST_CASE(owner_only_partition_has_a_ring_of_nulls) {
  auto s = with_topic(burrow_test_options(), 1000, 2);
  commit(s, "g", 0, 1, 1, now_ms);
  s.set_owner({"g", "testtopic", partition_id{1}, "/10.0.0.1", "c1"}, now);
  group_view v;
  BOOST_REQUIRE(s.view_group("g", now, v));
  BOOST_TEST(v.partitions[1].ring_length == 10u);
  BOOST_TEST(v.partitions[1].window_size == 0u);
}

BOOST_AUTO_TEST_CASE(delete_group_topic_removes_group_when_last_topic_goes) {
  auto s = with_topic(burrow_test_options(), 1000);
  s.set_broker_offset({"other", partition_id{0}, 1, offset_t{5}}, now);
  commit(s, "g", 0, 1, 1, now_ms);
  commit(s, "g", 0, 1, 2, now_ms, now, "other");
  BOOST_TEST(s.delete_group_topic("g", "testtopic"));
  BOOST_TEST(!s.delete_group_topic("g", "testtopic"));
  BOOST_TEST(s.has_group("g"));
  BOOST_TEST(s.groups_of_topic("testtopic").empty());
  BOOST_TEST(s.delete_group_topic("g", "other"));
  BOOST_TEST(!s.has_group("g"));
  BOOST_TEST(!s.delete_group("g"));
}

BOOST_AUTO_TEST_CASE(delete_topic_removes_it_everywhere_and_drops_emptied_groups) {
  auto s = with_topic(burrow_test_options(), 1000);
  s.set_broker_offset({"keep", partition_id{0}, 1, offset_t{5}}, now);
  commit(s, "both", 0, 1, 1, now_ms);
  commit(s, "both", 0, 1, 2, now_ms, now, "keep");
  commit(s, "only", 0, 1, 3, now_ms);
  BOOST_TEST(s.groups_of_topic("testtopic") == (std::vector<std::string>{"both", "only"}));
  BOOST_TEST(s.tracked_partitions() == 3u);
  BOOST_TEST(s.delete_topic("testtopic") == (std::vector<std::string>{"both", "only"}));
  BOOST_TEST(s.tracked_partitions() == 1u);
  BOOST_TEST(s.groups() == std::vector<std::string>{"both"});  // Burrow #426: "only" would stay forever
  BOOST_TEST(s.topics() == std::vector<std::string>{"keep"});
  BOOST_TEST(s.groups_of_topic("testtopic").empty());
  group_view v;
  BOOST_REQUIRE(s.view_group("both", now, v));
  BOOST_TEST(v.topics.size() == 1u);
}

BOOST_AUTO_TEST_CASE(delete_group_removes_it) {
  auto s = with_topic(burrow_test_options(), 1000);
  commit(s, "g", 0, 1, 1, now_ms);
  commit(s, "g2", 0, 1, 2, now_ms);
  BOOST_TEST(s.tracked_partitions() == 2u);
  BOOST_TEST(s.delete_group("g"));
  BOOST_TEST(s.tracked_partitions() == 1u);
  BOOST_TEST(s.delete_group("g2"));
  BOOST_TEST(s.tracked_partitions() == 0u);
  BOOST_TEST(s.groups().empty());
  BOOST_TEST(static_cast<int>(commit(s, "g", 0, 2, 2, now_ms)) == static_cast<int>(commit_outcome::appended));
}

BOOST_AUTO_TEST_CASE(forget_partition_drops_window_then_topic_then_group) {
  auto s = with_topic(burrow_test_options(), 1000, 2);
  commit(s, "g", 0, 1, 1, now_ms);
  commit(s, "g", 1, 1, 2, now_ms);
  commit(s, "g", 1, 2, 3, now_ms);  // a second commit reuses the partition's ring
  s.set_owner({"g", "testtopic", partition_id{1}, "/h", "c"}, now);
  BOOST_TEST(s.tracked_partitions() == 2u);
  BOOST_TEST(s.forget_partition("g", "testtopic", partition_id{1}));
  BOOST_TEST(s.tracked_partitions() == 1u);
  BOOST_TEST(!s.forget_partition("g", "testtopic", partition_id{1}));  // nothing left to drop
  BOOST_TEST(s.tracked_partitions() == 1u);
  group_view v;
  BOOST_REQUIRE(s.view_group("g", now, v));
  BOOST_TEST(v.partitions.size() == 2u);  // still sized to the partition count
  BOOST_TEST(v.partitions[1].ring_length == 0u);
  BOOST_TEST(v.partitions[1].owner == "");
  BOOST_TEST(s.forget_partition("g", "testtopic", partition_id{0}));
  BOOST_TEST(!s.has_group("g"));
  BOOST_TEST(s.tracked_partitions() == 0u);
  // held commits for the partition are forgotten too
  commit(s, "h", 0, 1, 3, now_ms, now, "later");
  BOOST_TEST(s.pending_count() == 1u);
  BOOST_TEST(s.forget_partition("h", "later", partition_id{0}));
  BOOST_TEST(s.pending_count() == 0u);
  BOOST_TEST(!s.forget_partition("nobody", "testtopic", partition_id{0}));
}

BOOST_AUTO_TEST_CASE(commits_for_unknown_topic_are_held_and_applied_when_broker_data_arrives) {
  cluster_state s(burrow_test_options());
  BOOST_TEST(static_cast<int>(commit(s, "g", 1, 100, 1, now_ms - 5000, now, "new")) ==
             static_cast<int>(commit_outcome::held));
  BOOST_TEST(static_cast<int>(commit(s, "g", 1, 150, 2, now_ms - 4000, now, "new")) ==
             static_cast<int>(commit_outcome::held));
  s.set_owner({"g", "new", partition_id{1}, "/10.0.0.9", "c9"}, now);
  BOOST_TEST(s.pending_count() == 3u);
  BOOST_TEST(!s.view_group("g", now));  // created by the owner, no commit yet

  std::vector<std::string> changed;
  s.set_broker_offset({"new", partition_id{0}, 2, offset_t{500}}, now, &changed);
  BOOST_TEST(changed.empty());  // partition 1 still has no sample
  BOOST_TEST(s.pending_count() == 3u);
  s.set_broker_offset({"new", partition_id{1}, 2, offset_t{400}}, timestamp_ms{now_ms + 1}, &changed);
  BOOST_TEST(changed == std::vector<std::string>{"g"});
  BOOST_TEST(s.pending_count() == 0u);
  const auto w = window_of(s, "g", "new", 1, timestamp_ms{now_ms + 1});
  BOOST_TEST_REQUIRE(w.size() == 2u);
  BOOST_TEST(*w[0].lag == 300u);
  BOOST_TEST(*w[1].lag == 250u);
  BOOST_TEST(w[1].observed_at == now_ms + 1);
  group_view v;
  BOOST_REQUIRE(s.view_group("g", now, v));
  BOOST_TEST(v.partitions[1].owner == "/10.0.0.9");
}

// A group's members left (an empty generation) before broker data knew the topic: the owner held
// from the older generation must not appear once the topic's log end arrives (seen in
// integration.admin_source under load: the reader read both records before the first poll).
BOOST_AUTO_TEST_CASE(owners_held_before_a_new_generation_are_not_applied) {
  cluster_state s(burrow_test_options());
  commit(s, "g", 0, 100, 1, now_ms - 5000, now, "new");
  s.set_owner({"g", "new", partition_id{0}, "/10.0.0.9", "c9"}, now);
  commit(s, "other", 0, 100, 2, now_ms - 5000, now, "new");
  s.set_owner({"other", "new", partition_id{0}, "/10.0.0.8", "c8"}, now);
  BOOST_TEST(s.pending_count() == 4u);
  BOOST_TEST(s.clear_owners("g"));  // g's next generation has no members
  BOOST_TEST(s.pending_count() == 3u);  // its commit stays held, the other group's owner too
  s.set_broker_offset({"new", partition_id{0}, 1, offset_t{500}}, now);
  BOOST_TEST(s.pending_count() == 0u);
  group_view v;
  BOOST_REQUIRE(s.view_group("g", now, v));
  BOOST_TEST_REQUIRE(v.partitions.size() == 1u);
  BOOST_TEST(v.partitions[0].owner.empty());
  BOOST_TEST(v.partitions[0].client_id.empty());
  BOOST_TEST(v.window(v.partitions[0]).size() == 1u);
  BOOST_REQUIRE(s.view_group("other", now, v));
  BOOST_TEST(v.partitions[0].owner == "/10.0.0.8");
}

BOOST_AUTO_TEST_CASE(commits_beyond_known_partition_count_are_held_until_it_grows) {
  auto s = with_topic(burrow_test_options(), 1000, 1);
  BOOST_TEST(static_cast<int>(commit(s, "g", 3, 10, 1, now_ms)) == static_cast<int>(commit_outcome::held));
  BOOST_TEST(static_cast<int>(commit(s, "g", -1, 10, 2, now_ms)) == static_cast<int>(commit_outcome::dropped_invalid));
  std::vector<std::string> changed;
  s.set_broker_offset({"testtopic", partition_id{3}, 4, offset_t{50}}, now, &changed);
  BOOST_TEST(changed == std::vector<std::string>{"g"});
  group_view v;
  BOOST_REQUIRE(s.view_group("g", now, v));
  BOOST_TEST(v.partitions.size() == 4u);
  BOOST_TEST(v.partitions[3].current_lag == 40u);
}

BOOST_AUTO_TEST_CASE(pending_buffer_is_bounded_and_ages_out) {
  auto o = burrow_test_options();
  o.pending_per_topic = 2;
  o.pending_total = 3;
  o.pending_max_age_s = 60;
  cluster_state s(o);
  commit(s, "g", 0, 1, 1, now_ms - 30'000, now, "a");
  commit(s, "g", 0, 2, 2, now_ms - 20'000, now, "a");
  commit(s, "g", 0, 3, 3, now_ms - 10'000, now, "a");  // per-topic cap: oldest of "a" dropped
  BOOST_TEST(s.pending_count() == 2u);
  BOOST_TEST(s.pending_dropped() == 1u);
  commit(s, "g", 0, 4, 4, now_ms, now, "b");
  BOOST_TEST(static_cast<int>(commit(s, "g", 0, 5, 5, now_ms, now, "c")) ==
             static_cast<int>(commit_outcome::dropped_pending_full));  // total cap, "c" has nothing to evict
  BOOST_TEST(s.pending_count() == 3u);
  BOOST_TEST(s.pending_dropped() == 2u);

  s.set_broker_offset({"a", partition_id{0}, 1, offset_t{10}}, now);
  BOOST_TEST(window_of(s, "g", "a", 0).size() == 2u);  // orders 2 and 3
  BOOST_TEST(window_of(s, "g", "a", 0)[0].order == 2);

  s.expire(timestamp_ms{now_ms + 61'000});
  BOOST_TEST(s.pending_count() == 0u);  // "b" aged out
  BOOST_TEST(s.pending_dropped() == 3u);

  commit(s, "g", 0, 6, 6, now_ms, now, "gone");
  s.delete_topic("gone");
  BOOST_TEST(s.pending_count() == 0u);
}

BOOST_AUTO_TEST_CASE(held_commit_older_than_expire_group_is_dropped_on_apply) {
  auto o = burrow_test_options();
  o.expire_group_s = 60;
  cluster_state s(o);
  commit(s, "g", 0, 1, 1, now_ms - 50'000, now, "t");
  const timestamp_ms later{now_ms + 20'000};
  s.set_broker_offset({"t", partition_id{0}, 1, offset_t{10}}, later);
  BOOST_TEST(s.pending_count() == 0u);
  BOOST_TEST(!s.has_group("g"));
}

BOOST_AUTO_TEST_CASE(ring_with_timestamps_spanning_months_stays_exact) {
  auto o = burrow_test_options();
  o.expire_group_s = 400LL * 86400;
  o.min_distance_s = 0;
  auto s = with_topic(o, 1'000'000);
  const std::int64_t day = 86'400'000;
  std::vector<std::int64_t> ts;
  for (int i = 0; i < 12; ++i) ts.push_back(now_ms - (120 - i * 10) * day + i);
  for (int i = 0; i < 12; ++i) commit(s, "g", 0, 1000 + i, i + 1, ts[static_cast<std::size_t>(i)]);
  commit(s, "g", 0, 999, 0, ts[0]);  // backfill: dropped, ring full
  commit(s, "g", 0, 1003, 4, ts[3]);  // duplicate
  commit(s, "g", 0, 500, 3, now_ms - 10);  // order 3 < oldest (3)? oldest order is 3 → dropped
  const auto w = window_of(s, "g", "testtopic", 0);
  BOOST_TEST_REQUIRE(w.size() == 10u);
  for (std::size_t i = 0; i < 10; ++i) {
    BOOST_TEST(w[i].timestamp == ts[i + 2]);
    BOOST_TEST(w[i].offset == 1002 + static_cast<std::int64_t>(i));
    BOOST_TEST(w[i].observed_at == now_ms);
  }
}

BOOST_AUTO_TEST_CASE(listings_are_sorted) {
  auto s = with_topic(burrow_test_options(), 1000);
  s.set_broker_offset({"a-topic", partition_id{0}, 1, offset_t{5}}, now);
  for (auto g : {"zeta", "alpha", "mid"}) commit(s, g, 0, 1, 1, now_ms);
  BOOST_TEST(s.groups() == (std::vector<std::string>{"alpha", "mid", "zeta"}));
  BOOST_TEST(s.topics() == (std::vector<std::string>{"a-topic", "testtopic"}));
  BOOST_TEST(s.group_count() == 3u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace warren
