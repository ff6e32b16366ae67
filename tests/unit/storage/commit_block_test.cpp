// commit_block (issue 12): the reader's commits with names interned once per block. The builder
// gives one id per distinct name and copies each name once; the store applies a block exactly as
// it applies the same commits one by one, and reports each changed group once.
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "service/core/actor.hpp"
#include "service/storage/commit_block.hpp"
#include "service/storage/offset_store.hpp"
#include "tests/support/manual_clock.hpp"

namespace warren {
namespace {

constexpr std::int64_t t0 = 1'700'000'000'000;

struct recording_sink : change_sink {
  void group_changed(const std::string&, const std::string& g) override { changed.push_back(g); }
  void group_removed(const std::string&, const std::string& g) override { removed.push_back(g); }
  std::vector<std::string> changed, removed;
};

struct a_commit {
  std::string group, topic;
  std::int32_t partition;
  std::int64_t offset, order;
};

struct store_fixture {
  store_fixture() {
    store.set_sink(sink);
    store_cmd::batch b{"c", {}};
    for (const char* t : {"t0", "t1"})
      b.commands.emplace_back(store_cmd::broker_offsets{.topic = topic_name{t},
                                                        .partition_count = 4,
                                                        .offsets = {100, 100, 100, 100},
                                                        .observed_at = timestamp_ms{t0}});
    store.apply_now(b);
    sink.changed.clear();
  }
  asio::io_context ioc;
  test::manual_clock clk{t0};
  supervisor sup;
  recording_sink sink;
  offset_store store{ioc.get_executor(), sup, storage_options{}, std::vector<std::string>{"c"}, clk};
};

std::vector<a_commit> mixed_commits() {
  std::vector<a_commit> out;
  std::int64_t order = 0;
  for (int round = 0; round < 3; ++round)
    for (const char* g : {"g-a", "g-b", "g-a", "a-much-longer-group-name-than-sso-allows"})
      for (const char* t : {"t0", "t1", "unknown-topic"})
        for (std::int32_t p = 0; p < 4; ++p) out.push_back({g, t, p, 10 * (round + 1) + p, ++order});
  out.push_back({"g-a", "t0", 0, 5, 3});  // a backfill behind the window: inserted
  out.push_back({"g-a", "t0", 0, 5, 3});  // the same order again: a duplicate, dropped
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(storage_commit_block)

BOOST_AUTO_TEST_CASE(each_distinct_name_gets_one_id_and_is_copied_once) {
  store_cmd::commit_block b;
  commit_block_builder names;
  names.reset();
  const auto a = names.intern(b, "group-a");
  const auto t = names.intern(b, "topic");
  BOOST_TEST(names.intern(b, "group-a") == a);
  BOOST_TEST(names.intern(b, "topic") == t);
  BOOST_TEST(a != t);
  BOOST_TEST(names.intern(b, "") != a);  // the empty name is a name too
  BOOST_TEST(b.name(a) == "group-a");
  BOOST_TEST(b.name(t) == "topic");
  BOOST_TEST(b.names.size() == 3U);
  BOOST_TEST(b.text == "group-atopic");
}

BOOST_AUTO_TEST_CASE(thousands_of_names_survive_the_table_growing) {
  store_cmd::commit_block b;
  commit_block_builder names;
  names.reset();
  std::vector<std::uint32_t> ids;
  for (int i = 0; i < 5000; ++i) ids.push_back(names.intern(b, "name-" + std::to_string(i)));
  for (int i = 0; i < 5000; ++i) {
    BOOST_TEST(names.intern(b, "name-" + std::to_string(i)) == ids[static_cast<std::size_t>(i)]);
    BOOST_TEST(b.name(ids[static_cast<std::size_t>(i)]) == "name-" + std::to_string(i));
  }
  BOOST_TEST(b.names.size() == 5000U);
  BOOST_TEST(std::set<std::uint32_t>(ids.begin(), ids.end()).size() == 5000U);
}

BOOST_AUTO_TEST_CASE(reset_starts_a_new_block_with_its_own_ids) {
  commit_block_builder names;
  store_cmd::commit_block first, second;
  names.reset();
  for (int i = 0; i < 100; ++i) (void)names.intern(first, "x" + std::to_string(i));
  names.reset();
  const auto id = names.intern(second, "x50");
  BOOST_TEST(id == 0U);
  BOOST_TEST(second.names.size() == 1U);
  BOOST_TEST(second.name(id) == "x50");
  BOOST_TEST(names.intern(second, "x51") == 1U);  // not found through the first block's table
}

BOOST_AUTO_TEST_CASE(add_keeps_every_field_and_the_group_of_each_commit) {
  store_cmd::commit_block b;
  commit_block_builder names;
  names.reset();
  names.add(b, "g1", "t", partition_id{3}, offset_t{42}, 7, timestamp_ms{t0});
  names.add(b, "g2", "t", partition_id{4}, offset_t{43}, 8, timestamp_ms{t0 + 1});
  names.add(b, "g1", "u", partition_id{5}, offset_t{44}, 9, timestamp_ms{t0 + 2});  // back to g1
  BOOST_REQUIRE(b.commits.size() == 3U);
  BOOST_TEST(b.name(b.commits[0].group) == "g1");
  BOOST_TEST(b.name(b.commits[1].group) == "g2");
  BOOST_TEST(b.name(b.commits[2].group) == "g1");
  BOOST_TEST(b.commits[0].group == b.commits[2].group);
  BOOST_TEST(b.name(b.commits[2].topic) == "u");
  BOOST_TEST(b.commits[1].partition.value == 4);
  BOOST_TEST(b.commits[1].offset.value == 43);
  BOOST_TEST(b.commits[1].order == 8);
  BOOST_TEST(b.commits[1].timestamp.value == t0 + 1);
  BOOST_TEST(b.names.size() == 4U);  // g1 t g2 u
}

BOOST_AUTO_TEST_CASE(a_block_is_stored_like_the_same_commits_one_by_one) {
  store_fixture one_by_one, as_block;
  store_cmd::batch single{"c", {}}, blocked{"c", {}};
  store_cmd::commit_block block;
  commit_block_builder names;
  names.reset();
  for (const auto& c : mixed_commits()) {
    single.commands.emplace_back(store_cmd::commit{.group = group_name{c.group},
                                                   .topic = topic_name{c.topic},
                                                   .partition = partition_id{c.partition},
                                                   .offset = offset_t{c.offset},
                                                   .order = c.order,
                                                   .timestamp = timestamp_ms{t0}});
    names.add(block, c.group, c.topic, partition_id{c.partition}, offset_t{c.offset}, c.order, timestamp_ms{t0});
  }
  blocked.commands.emplace_back(std::move(block));
  one_by_one.store.apply_now(single);
  as_block.store.apply_now(blocked);

  const auto& s1 = one_by_one.store.stats();
  const auto& s2 = as_block.store.stats();
  BOOST_TEST(s2.commits == s1.commits);
  BOOST_TEST(s2.commits_stored == s1.commits_stored);
  BOOST_TEST(s2.commits_held == s1.commits_held);
  BOOST_TEST(s2.commits_dropped == s1.commits_dropped);
  BOOST_TEST(s2.commits_held == 12U * 4U);  // unknown-topic: held until broker data knows it
  BOOST_TEST(s2.commits_dropped == 1U);     // the duplicate

  const auto* c1 = one_by_one.store.cluster("c");
  const auto* c2 = as_block.store.cluster("c");
  BOOST_REQUIRE(c1);
  BOOST_REQUIRE(c2);
  BOOST_TEST(c2->groups() == c1->groups());
  BOOST_TEST(c2->groups().size() == 3U);
  BOOST_TEST(c2->pending_count() == c1->pending_count());
  for (const auto& g : c1->groups()) {
    auto v1 = c1->view_group(g, timestamp_ms{t0});
    auto v2 = c2->view_group(g, timestamp_ms{t0});
    BOOST_REQUIRE(v1);
    BOOST_REQUIRE(v2);
    BOOST_TEST(v2->last_commit == v1->last_commit);
    BOOST_TEST(v2->topics == v1->topics);
    BOOST_TEST(v2->partitions.size() == v1->partitions.size());
    BOOST_TEST(v2->samples == v1->samples);
  }
  // Each changed group once, as for the single commits (the set of a batch).
  BOOST_TEST(as_block.sink.changed == one_by_one.sink.changed);
  BOOST_TEST(as_block.sink.changed.size() == 3U);
  BOOST_TEST(as_block.sink.removed.empty());
}

BOOST_AUTO_TEST_CASE(commands_around_a_block_apply_in_order) {
  store_fixture f;
  store_cmd::batch b{"c", {}};
  auto add_block = [&](const char* group, std::int64_t offset, std::int64_t order) {
    store_cmd::commit_block block;
    commit_block_builder names;
    names.reset();
    names.add(block, group, "t0", partition_id{0}, offset_t{offset}, order, timestamp_ms{t0});
    b.commands.emplace_back(std::move(block));
  };
  add_block("g", 10, 1);
  b.commands.emplace_back(store_cmd::delete_group{.group = group_name{"g"}, .topic = topic_name{}});
  add_block("g", 20, 2);
  f.store.apply_now(b);
  auto v = f.store.cluster("c")->view_group("g", timestamp_ms{t0});
  BOOST_REQUIRE(v);
  BOOST_REQUIRE(v->samples.size() == 1U);  // the first commit went with the group
  BOOST_TEST(v->samples[0].offset == 20);
  // Removed and stored again in one batch: the group changed (it was reported removed before).
  BOOST_TEST(f.sink.changed == std::vector<std::string>{"g"});
  BOOST_TEST(f.sink.removed.empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace warren
