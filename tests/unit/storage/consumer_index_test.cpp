// The consumer index (topic → groups with a stored partition of it): exact after every mutation.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "service/storage/model.hpp"

namespace warren {
namespace {

constexpr std::int64_t now_ms = 1'700'000'000'000;
const timestamp_ms now{now_ms};
using names = std::vector<std::string>;

storage_options small_options() {
  storage_options o;
  o.intervals = 4;
  o.expire_group_s = 100;
  return o;
}

void broker(cluster_state& s, std::string_view topic, std::int32_t partitions, timestamp_ms at = now) {
  for (std::int32_t p = 0; p < partitions; ++p) s.set_broker_offset({topic, partition_id{p}, partitions, offset_t{100}}, at);
}

commit_outcome commit(cluster_state& s, std::string_view group, std::string_view topic, std::int32_t partition,
                      std::int64_t order, std::int64_t ts = now_ms, timestamp_ms at = now) {
  return s.add_commit({.group = group,
                       .topic = topic,
                       .partition = partition_id{partition},
                       .offset = offset_t{10},
                       .order = order,
                       .timestamp = timestamp_ms{ts}},
                      at);
}

bool owner(cluster_state& s, std::string_view group, std::string_view topic, std::int32_t partition,
           std::string_view host = "/10.0.0.1", timestamp_ms at = now) {
  return s.set_owner({group, topic, partition_id{partition}, host, "client"}, at);
}

names consumers(const cluster_state& s, std::string_view topic) {
  names out;
  s.consumers_of(topic, out);
  std::sort(out.begin(), out.end());
  return out;
}

// The brute-force answer: scan every group's view for a partition of `topic` with a ring or an owner.
// Viewed at time 0 so that groups awaiting expire() are not hidden by the lazy-expiry check.
names scan(const cluster_state& s, std::string_view topic) {
  names out;
  group_view v;
  for (const auto& g : s.groups()) {
    BOOST_REQUIRE(s.view_group(g, timestamp_ms{0}, v));
    const bool stored = std::any_of(v.partitions.begin(), v.partitions.end(), [&](const partition_view& p) {
      return v.topic(p) == topic && (p.ring_length > 0 || !p.owner.empty());
    });
    if (stored) out.push_back(g);
  }
  return out;  // groups() is sorted
}

// Group "a" has partitions 0 and 1 of "t" and partition 0 of "u"; group "b" has partition 0 of "t" (owner only).
cluster_state two_groups() {
  cluster_state s(small_options());
  broker(s, "t", 2);
  broker(s, "u", 1);
  commit(s, "a", "t", 0, 1);
  commit(s, "a", "t", 1, 2);
  commit(s, "a", "u", 0, 3);
  owner(s, "b", "t", 0);
  return s;
}

struct mutation_case {
  const char* name;
  std::function<void(cluster_state&)> mutate;
  names of_t;  // consumers of "t" afterwards, sorted
  names of_u;
};

std::vector<mutation_case> mutation_cases() {
  return {
      {"nothing", [](cluster_state&) {}, {"a", "b"}, {"a"}},
      {"commit_to_a_new_topic_of_a_group", [](cluster_state& s) { commit(s, "b", "u", 0, 10); }, {"a", "b"}, {"a", "b"}},
      {"commit_of_a_new_group", [](cluster_state& s) { commit(s, "c", "u", 0, 10); }, {"a", "b"}, {"a", "c"}},
      {"owner_of_a_new_group", [](cluster_state& s) { owner(s, "c", "t", 1); }, {"a", "b", "c"}, {"a"}},
      {"owner_of_an_unknown_partition_creates_the_group_only", [](cluster_state& s) { owner(s, "c", "t", 7); },
       {"a", "b"}, {"a"}},
      {"commit_dropped_as_expired", [](cluster_state& s) { commit(s, "c", "u", 0, 10, now_ms - 200'000); },
       {"a", "b"}, {"a"}},
      {"forget_one_of_two_partitions", [](cluster_state& s) { s.forget_partition("a", "t", partition_id{1}); },
       {"a", "b"}, {"a"}},
      {"forget_the_last_partition_of_the_topic",
       [](cluster_state& s) {
         s.forget_partition("a", "t", partition_id{0});
         s.forget_partition("a", "t", partition_id{1});
       },
       {"b"}, {"a"}},
      {"forget_the_owner_only_partition", [](cluster_state& s) { s.forget_partition("b", "t", partition_id{0}); },
       {"a"}, {"a"}},
      {"forget_an_untouched_partition", [](cluster_state& s) { s.forget_partition("b", "t", partition_id{1}); },
       {"a", "b"}, {"a"}},
      {"clear_owners_keeps_the_rings", [](cluster_state& s) { s.clear_owners("b"); }, {"a", "b"}, {"a"}},
      {"delete_group", [](cluster_state& s) { s.delete_group("a"); }, {"b"}, {}},
      {"delete_group_topic", [](cluster_state& s) { s.delete_group_topic("a", "t"); }, {"b"}, {"a"}},
      {"delete_group_topic_of_the_last_topic", [](cluster_state& s) { s.delete_group_topic("b", "t"); }, {"a"}, {"a"}},
      {"delete_topic", [](cluster_state& s) { s.delete_topic("t"); }, {}, {"a"}},
      {"delete_topic_then_commit_again",
       [](cluster_state& s) {
         s.delete_topic("t");
         broker(s, "t", 1);
         commit(s, "b", "t", 0, 10);
       },
       {"b"}, {"a"}},
      // "b" has an owner only (last_commit 0): expired at once; "a" stays (its commits are recent).
      {"expire", [](cluster_state& s) { s.expire(now); }, {"a"}, {"a"}},
      {"expire_everything", [](cluster_state& s) { s.expire(timestamp_ms{now_ms + 200'000}); }, {}, {}},
  };
}

}  // namespace

BOOST_AUTO_TEST_SUITE(storage_consumer_index)

BOOST_AUTO_TEST_CASE(consumers_of_follows_every_mutation_kind) {
  for (const auto& c : mutation_cases()) {
    BOOST_TEST_CONTEXT(c.name) {
      auto s = two_groups();
      c.mutate(s);
      BOOST_TEST(consumers(s, "t") == c.of_t);
      BOOST_TEST(consumers(s, "u") == c.of_u);
      BOOST_TEST(s.groups_of_topic("t") == c.of_t);
      BOOST_TEST(s.groups_of_topic("u") == c.of_u);
      BOOST_TEST(scan(s, "t") == c.of_t);  // the table itself agrees with a full scan
      BOOST_TEST(scan(s, "u") == c.of_u);
    }
  }
}

BOOST_AUTO_TEST_CASE(consumers_of_forgets_group_when_its_last_partition_of_the_topic_is_forgotten) {
  auto s = two_groups();
  BOOST_TEST(s.forget_partition("a", "t", partition_id{0}));
  BOOST_TEST(consumers(s, "t") == (names{"a", "b"}));
  BOOST_TEST(s.forget_partition("a", "t", partition_id{1}));
  BOOST_TEST(consumers(s, "t") == names{"b"});
  BOOST_TEST(s.forget_partition("a", "u", partition_id{0}));
  BOOST_TEST(!s.has_group("a"));
  BOOST_TEST(consumers(s, "u").empty());
}

BOOST_AUTO_TEST_CASE(consumers_of_lists_group_only_once_its_held_commit_is_released) {
  cluster_state s(small_options());
  BOOST_TEST(static_cast<int>(commit(s, "g", "new", 1, 1)) == static_cast<int>(commit_outcome::held));
  owner(s, "h", "new", 0);  // held too; "h" exists without topics
  BOOST_TEST(s.has_group("h"));
  BOOST_TEST(consumers(s, "new").empty());
  s.set_broker_offset({"new", partition_id{0}, 2, offset_t{5}}, now);
  BOOST_TEST(consumers(s, "new") == names{"h"});  // partition 1 still has no sample
  std::vector<std::string> changed;
  s.set_broker_offset({"new", partition_id{1}, 2, offset_t{5}}, now, &changed);
  BOOST_TEST(changed == names{"g"});
  BOOST_TEST(consumers(s, "new") == (names{"g", "h"}));
}

BOOST_AUTO_TEST_CASE(consumers_of_appends_to_what_is_already_there) {
  auto s = two_groups();
  names out{"already"};
  s.consumers_of("u", out);
  BOOST_TEST(out == (names{"already", "a"}));
  s.consumers_of("unknown", out);
  BOOST_TEST(out == (names{"already", "a"}));
}

BOOST_AUTO_TEST_CASE(consumers_of_survives_moving_the_state) {
  auto s = two_groups();
  cluster_state moved(std::move(s));
  commit(moved, "c", "t", 1, 10);  // the group_for cache and the index point into moved nodes
  BOOST_TEST(consumers(moved, "t") == (names{"a", "b", "c"}));
  cluster_state assigned(small_options());
  assigned = std::move(moved);
  assigned.delete_group("a");
  BOOST_TEST(consumers(assigned, "t") == (names{"b", "c"}));
  BOOST_TEST(consumers(assigned, "u").empty());
}

BOOST_AUTO_TEST_CASE(view_lists_topics_sorted_by_name_with_interned_keys) {
  cluster_state s(small_options());
  for (auto t : {"zz", "a", "mm", "b"}) {
    broker(s, t, 1);
    commit(s, "g", t, 0, 1);
  }
  group_view v;
  BOOST_REQUIRE(s.view_group("g", now, v));
  BOOST_TEST(v.topics == (std::vector<std::string_view>{"a", "b", "mm", "zz"}));
  BOOST_TEST(s.delete_group_topic("g", "mm"));
  BOOST_REQUIRE(s.view_group("g", now, v));
  BOOST_TEST(v.topics == (std::vector<std::string_view>{"a", "b", "zz"}));
}

// Random mutations of every kind over a small universe (so that they collide), checked after each
// step against a full scan. Fixed seed: a failure replays exactly; the step is in the context.
BOOST_AUTO_TEST_CASE(consumers_of_matches_a_full_scan_after_random_mutations) {
  const std::vector<std::string> groups{"g0", "g1", "g2", "g3", "g4", "g5"};
  const std::vector<std::string> topics{"t0", "t1", "t2", "t3"};
  const std::vector<std::string> hosts{"", "/10.0.0.1", "/10.0.0.2"};
  std::mt19937 rng(20240608);
  auto pick = [&](const auto& v) -> const auto& { return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)]; };
  auto upto = [&](int n) { return std::uniform_int_distribution<int>(0, n)(rng); };

  auto o = small_options();
  o.pending_per_topic = 8;
  o.pending_total = 20;
  cluster_state s(o);
  std::int64_t clock = now_ms;
  std::int64_t order = 0;
  std::size_t max_groups = 0;
  for (int step = 0; step < 4000; ++step) {
    clock += upto(5) * 1000;
    const timestamp_ms at{clock};
    const auto& g = pick(groups);
    const auto& t = pick(topics);
    const int p = upto(4) - (upto(20) == 0 ? 5 : 0);  // now and then a negative partition
    switch (upto(13)) {
      case 0:
      case 1:
        s.set_broker_offset({t, partition_id{p}, upto(4), offset_t{upto(1000)}}, at);
        break;
      case 2:
      case 3:
      case 4:
      case 5:
        commit(s, g, t, p, upto(5) == 0 ? order - upto(8) : ++order, clock - upto(150) * 1000, at);
        break;
      case 6:
      case 7:
        s.set_owner({g, t, partition_id{p}, pick(hosts), pick(hosts)}, at);
        break;
      case 8:
        s.forget_partition(g, t, partition_id{p});
        break;
      case 9:
        s.clear_owners(g);
        break;
      case 10:
        if (upto(3) == 0) s.delete_group(g); else s.delete_group_topic(g, t);
        break;
      case 11:
        if (upto(4) == 0) s.delete_topic(t);
        break;
      case 12:
      case 13:
        s.expire(at);
        break;
    }
    max_groups = std::max(max_groups, s.group_count());
    for (const auto& topic : topics) {
      BOOST_TEST_CONTEXT("step " << step << " topic " << topic) {
        const names expected = scan(s, topic);
        names got;
        s.consumers_of(topic, got);
        BOOST_TEST(std::set<std::string>(got.begin(), got.end()).size() == got.size());  // no duplicates
        std::sort(got.begin(), got.end());
        BOOST_TEST_REQUIRE(got == expected);
        BOOST_TEST_REQUIRE(s.groups_of_topic(topic) == expected);
      }
    }
  }
  BOOST_TEST(max_groups >= 4u);  // the walk did build up state (not all drops)
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace warren
