// Issue 12: the group list the HTTP layer caches (cluster_state::answerable_groups) and the stamp
// that says when a cached list is still exact (same_answerable_groups, generation()). A cached
// list must never differ from a fresh one: checked after every mutation kind, across the expiry
// line, and over random mutation sequences against the brute-force answer (view_group per group).
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "service/storage/model.hpp"

namespace warren {
namespace {

constexpr std::int64_t now_ms = 1'700'000'000'000;
constexpr std::int64_t expire_s = 100;
using names = std::vector<std::string>;

storage_options small_options() {
  storage_options o;
  o.intervals = 4;
  o.expire_group_s = expire_s;
  return o;
}

void broker(cluster_state& s, std::string_view topic, std::int32_t partitions, std::int64_t at = now_ms) {
  for (std::int32_t p = 0; p < partitions; ++p)
    s.set_broker_offset({topic, partition_id{p}, partitions, offset_t{100}}, timestamp_ms{at});
}

commit_outcome commit(cluster_state& s, std::string_view group, std::string_view topic, std::int32_t partition,
                      std::int64_t order, std::int64_t ts = now_ms, std::int64_t at = now_ms) {
  return s.add_commit({.group = group,
                       .topic = topic,
                       .partition = partition_id{partition},
                       .offset = offset_t{10},
                       .order = order,
                       .timestamp = timestamp_ms{ts}},
                      timestamp_ms{at});
}

void owner(cluster_state& s, std::string_view group, std::string_view topic, std::int32_t partition,
           std::int64_t at = now_ms) {
  s.set_owner({group, topic, partition_id{partition}, "/10.0.0.1", "client"}, timestamp_ms{at});
}

names listed(const cluster_state& s, std::int64_t at, cluster_state::group_list_stamp* stamp = nullptr) {
  std::vector<std::string_view> views;
  const auto st = s.answerable_groups(timestamp_ms{at}, views);
  if (stamp) *stamp = st;
  return names(views.begin(), views.end());
}

// The brute-force answer: every group the detail endpoint answers (view_group), in name order.
names brute(const cluster_state& s, std::int64_t at) {
  names out;
  group_view v;
  for (const auto& g : s.groups())
    if (s.view_group(g, timestamp_ms{at}, v)) out.push_back(g);
  return out;  // groups() is sorted
}

// "a" and "b" committed now on t; "o" is known from an owner only (no commit: not answerable).
cluster_state three_groups() {
  cluster_state s(small_options());
  broker(s, "t", 2);
  broker(s, "u", 1);
  commit(s, "a", "t", 0, 1);
  commit(s, "b", "t", 1, 2);
  owner(s, "o", "t", 0);
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(storage_group_list)

BOOST_AUTO_TEST_CASE(lists_what_the_detail_endpoint_answers_sorted) {
  auto s = three_groups();
  commit(s, "0-first", "u", 0, 3);
  BOOST_TEST(listed(s, now_ms) == (names{"0-first", "a", "b"}));
  BOOST_TEST(listed(s, now_ms) == brute(s, now_ms));
  BOOST_TEST(s.answerable("a", timestamp_ms{now_ms}));
  BOOST_TEST(!s.answerable("o", timestamp_ms{now_ms}));  // owner only: view_group says not found
  BOOST_TEST(!s.answerable("nope", timestamp_ms{now_ms}));
  // Past expire-group the groups stay stored until expire(), but are not answered.
  const std::int64_t later = now_ms + (expire_s + 2) * 1000;
  BOOST_TEST(listed(s, later).empty());
  BOOST_TEST(!s.answerable("a", timestamp_ms{later}));
  BOOST_TEST(s.has_group("a"));
}

BOOST_AUTO_TEST_CASE(every_list_changing_mutation_invalidates_the_stamp) {
  struct mutation_case {
    const char* name;
    std::function<void(cluster_state&)> mutate;
    names after;
  };
  const std::vector<mutation_case> cases{
      {"commit_of_a_new_group", [](cluster_state& s) { commit(s, "c", "u", 0, 10); }, {"a", "b", "c"}},
      {"first_commit_of_an_owner_only_group", [](cluster_state& s) { commit(s, "o", "t", 0, 10); },
       {"a", "b", "o"}},
      {"held_commit_applied_by_new_broker_data",
       [](cluster_state& s) {
         commit(s, "h", "new", 0, 10);
         broker(s, "new", 1);
       },
       {"a", "b", "h"}},
      {"owner_of_a_new_group", [](cluster_state& s) { owner(s, "c", "t", 1); }, {"a", "b"}},
      {"delete_group", [](cluster_state& s) { s.delete_group("a"); }, {"b"}},
      {"delete_group_topic_of_the_last_topic", [](cluster_state& s) { s.delete_group_topic("b", "t"); }, {"a"}},
      {"forget_the_last_partition", [](cluster_state& s) { s.forget_partition("a", "t", partition_id{0}); }, {"b"}},
      {"delete_topic", [](cluster_state& s) { s.delete_topic("t"); }, {}},
      {"expire", [](cluster_state& s) { s.expire(timestamp_ms{now_ms}); }, {"a", "b"}},
      {"expire_everything", [](cluster_state& s) { s.expire(timestamp_ms{now_ms + (expire_s + 2) * 1000}); }, {}},
      // A newer commit whose timestamp is older: last_commit moves backwards (Burrow keeps it).
      {"last_commit_moving_backwards", [](cluster_state& s) { commit(s, "a", "t", 0, 20, now_ms - 5000); },
       {"a", "b"}},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      auto s = three_groups();
      cluster_state::group_list_stamp stamp;
      listed(s, now_ms, &stamp);
      BOOST_TEST(s.same_answerable_groups(stamp, timestamp_ms{now_ms}));
      const auto generation = s.generation();
      c.mutate(s);
      BOOST_TEST(s.generation() != generation);
      BOOST_TEST(!s.same_answerable_groups(stamp, timestamp_ms{now_ms}));
      BOOST_TEST(listed(s, now_ms) == c.after);
      BOOST_TEST(listed(s, now_ms) == brute(s, now_ms));
    }
  }
}

BOOST_AUTO_TEST_CASE(steady_commits_and_broker_samples_keep_the_stamp) {
  auto s = three_groups();
  cluster_state::group_list_stamp stamp;
  const auto before = listed(s, now_ms, &stamp);
  // The steady state of a monitored cluster: known groups commit, known topics get samples, owners
  // change. None of it changes the list, so a cached body stays valid.
  commit(s, "a", "t", 0, 30, now_ms + 1000, now_ms + 1000);
  commit(s, "b", "t", 1, 31, now_ms + 1000, now_ms + 1000);
  broker(s, "t", 2, now_ms + 1000);
  owner(s, "a", "t", 0, now_ms + 1000);
  s.clear_owners("b");
  BOOST_TEST(s.same_answerable_groups(stamp, timestamp_ms{now_ms + 1000}));
  BOOST_TEST(listed(s, now_ms + 1000) == before);
}

BOOST_AUTO_TEST_CASE(a_listed_group_expiring_with_time_invalidates_the_stamp) {
  cluster_state s(small_options());
  broker(s, "t", 1);
  commit(s, "old", "t", 0, 1, now_ms - 60'000);
  commit(s, "new", "t", 0, 2, now_ms);
  cluster_state::group_list_stamp stamp;
  BOOST_TEST(listed(s, now_ms, &stamp) == (names{"new", "old"}));
  // "old" committed at now − 60 s: answered until now + 40 s (whole seconds, like Burrow).
  BOOST_TEST(s.same_answerable_groups(stamp, timestamp_ms{now_ms + 40'000}));
  BOOST_TEST(listed(s, now_ms + 40'000) == (names{"new", "old"}));
  BOOST_TEST(!s.same_answerable_groups(stamp, timestamp_ms{now_ms + 41'000}));
  BOOST_TEST(listed(s, now_ms + 41'000) == (names{"new"}));
  // A clock that went backwards is not trusted either: an unlisted group could be answered again.
  listed(s, now_ms + 41'000, &stamp);
  BOOST_TEST(!s.same_answerable_groups(stamp, timestamp_ms{now_ms}));
}

BOOST_AUTO_TEST_CASE(an_unlisted_expired_group_committing_again_invalidates_the_stamp) {
  cluster_state s(small_options());
  broker(s, "t", 1);
  commit(s, "g", "t", 0, 1, now_ms);
  const std::int64_t later = now_ms + (expire_s + 10) * 1000;
  cluster_state::group_list_stamp stamp;
  BOOST_TEST(listed(s, later, &stamp).empty());  // expired, not yet removed by expire()
  // The commit is applied with a clock BEHIND the list's (the store's and the server's clocks need
  // not agree): the list's own threshold still catches it.
  commit(s, "g", "t", 0, 2, now_ms + 5000, now_ms + 5000);
  commit(s, "g", "t", 0, 3, later, now_ms + 5000);
  BOOST_TEST(!s.same_answerable_groups(stamp, timestamp_ms{later}));
  BOOST_TEST(listed(s, later) == (names{"g"}));
}

BOOST_AUTO_TEST_CASE(topic_list_changes_bump_the_generation) {
  auto s = three_groups();
  auto g = s.generation();
  broker(s, "t", 2, now_ms + 1000);  // a known topic's new sample: no change
  BOOST_TEST(s.generation() == g);
  broker(s, "v", 1);
  BOOST_TEST(s.generation() != g);
  g = s.generation();
  s.delete_topic("v");
  BOOST_TEST(s.generation() != g);
}

// Random mutations at a clock that mostly moves forward (sometimes backwards, and commits applied
// at a clock other than the list's): whenever the stamp says a cached list is still good, it must
// equal the brute-force list.
BOOST_AUTO_TEST_CASE(a_cached_list_trusted_by_its_stamp_always_equals_a_fresh_one) {
  std::mt19937 rng(12);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<std::string> groups{"g0", "g1", "g2", "g3", "g4", "g5"};
  const std::vector<std::string> topics{"t0", "t1", "t2"};
  for (int run = 0; run < 40; ++run) {
    cluster_state s(small_options());
    std::int64_t clock = now_ms;
    std::int64_t order = 0;
    cluster_state::group_list_stamp stamp;
    names cached = listed(s, clock, &stamp);
    int trusted = 0;
    for (int step = 0; step < 400; ++step) {
      const auto& g = groups[static_cast<std::size_t>(pick(static_cast<int>(groups.size())))];
      const auto& t = topics[static_cast<std::size_t>(pick(static_cast<int>(topics.size())))];
      const std::int64_t skew = (pick(4) == 0 ? -1 : 1) * pick(150) * 1000;
      switch (pick(10)) {
        case 0: broker(s, t, 2, clock); break;
        case 1: owner(s, g, t, pick(2), clock); break;
        case 2: s.delete_group(g); break;
        case 3: s.delete_group_topic(g, t); break;
        case 4: s.forget_partition(g, t, partition_id{pick(2)}); break;
        case 5: if (pick(8) == 0) s.delete_topic(t); break;
        case 6: if (pick(4) == 0) s.expire(timestamp_ms{clock}); break;
        default: commit(s, g, t, pick(2), ++order, clock - pick(120) * 1000, clock + skew); break;
      }
      clock += pick(6) == 0 ? -pick(20) * 1000 : pick(30) * 1000;
      if (s.same_answerable_groups(stamp, timestamp_ms{clock})) {
        ++trusted;
        BOOST_TEST_REQUIRE(cached == brute(s, clock), "run " << run << " step " << step);
      } else {
        cached = listed(s, clock, &stamp);
        BOOST_TEST_REQUIRE(cached == brute(s, clock), "run " << run << " step " << step);
      }
    }
    BOOST_TEST(trusted > 0);  // the cache is used, not rebuilt every time
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace warren
