// Held-commits buffer: bounded per topic and in total, released in arrival order, aged out.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "service/storage/pending.hpp"

namespace warren {
namespace {

detail::held_entry held(std::string group, std::int32_t partition, std::int64_t order, std::int64_t since = 0) {
  detail::held_entry e;
  e.group = std::move(group);
  e.partition = partition;
  e.order = order;
  e.held_since = since;
  return e;
}

std::vector<std::int64_t> orders_of(detail::pending_buffer& b, const std::string& topic) {
  std::vector<std::int64_t> out;
  b.release(topic, [&](const detail::held_entry& e) {
    out.push_back(e.order);
    return false;  // look only
  });
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(storage_pending)

BOOST_AUTO_TEST_CASE(per_topic_cap_drops_the_topics_oldest_entry) {
  detail::pending_buffer b(2, 10);
  BOOST_TEST(b.hold("t", held("g", 0, 1)));
  BOOST_TEST(b.hold("t", held("g", 0, 2)));
  BOOST_TEST(b.hold("t", held("g", 0, 3)));
  BOOST_TEST(b.size() == 2u);
  BOOST_TEST(b.dropped() == 1u);
  BOOST_TEST(orders_of(b, "t") == (std::vector<std::int64_t>{2, 3}));
}

BOOST_AUTO_TEST_CASE(total_cap_refuses_a_topic_with_nothing_to_evict) {
  detail::pending_buffer b(10, 2);
  BOOST_TEST(b.hold("a", held("g", 0, 1)));
  BOOST_TEST(b.hold("b", held("g", 0, 2)));
  BOOST_TEST(!b.hold("c", held("g", 0, 3)));
  BOOST_TEST(b.hold("a", held("g", 0, 4)));  // "a" evicts its own oldest
  BOOST_TEST(b.size() == 2u);
  BOOST_TEST(b.dropped() == 2u);
  BOOST_TEST(orders_of(b, "a") == std::vector<std::int64_t>{4});
  BOOST_TEST(orders_of(b, "c").empty());
}

BOOST_AUTO_TEST_CASE(zero_per_topic_cap_holds_nothing) {
  detail::pending_buffer b(0, 10);
  BOOST_TEST(!b.hold("t", held("g", 0, 1)));
  BOOST_TEST(b.size() == 0u);
  BOOST_TEST(b.dropped() == 1u);
}

BOOST_AUTO_TEST_CASE(release_removes_applied_entries_and_keeps_the_rest_in_order) {
  detail::pending_buffer b(10, 10);
  for (std::int64_t order = 1; order <= 5; ++order) b.hold("t", held("g", static_cast<std::int32_t>(order % 2), order));
  std::vector<std::int64_t> applied;
  b.release("t", [&](const detail::held_entry& e) {
    if (e.partition != 1) return false;
    applied.push_back(e.order);
    return true;
  });
  BOOST_TEST(applied == (std::vector<std::int64_t>{1, 3, 5}));
  BOOST_TEST(b.size() == 2u);
  BOOST_TEST(b.dropped() == 0u);
  BOOST_TEST(orders_of(b, "t") == (std::vector<std::int64_t>{2, 4}));
  b.release("t", [](const detail::held_entry&) { return true; });
  BOOST_TEST(b.size() == 0u);
  BOOST_TEST(b.hold("t", held("g", 0, 6)));  // the emptied topic is usable again
}

BOOST_AUTO_TEST_CASE(erase_partition_drops_only_that_groups_partition) {
  detail::pending_buffer b(10, 10);
  b.hold("t", held("g", 0, 1));
  b.hold("t", held("g", 1, 2));
  b.hold("t", held("h", 0, 3));
  BOOST_TEST(b.erase_partition("t", "g", 0));
  BOOST_TEST(!b.erase_partition("t", "g", 0));
  BOOST_TEST(!b.erase_partition("other", "g", 0));
  BOOST_TEST(b.size() == 2u);
  BOOST_TEST(b.dropped() == 0u);
  BOOST_TEST(orders_of(b, "t") == (std::vector<std::int64_t>{2, 3}));
}

BOOST_AUTO_TEST_CASE(erase_topic_and_expire_keep_the_count_exact) {
  detail::pending_buffer b(10, 10);
  b.hold("a", held("g", 0, 1, 100));
  b.hold("a", held("g", 0, 2, 200));
  b.hold("b", held("g", 0, 3, 100));
  b.erase_topic("b");
  BOOST_TEST(b.size() == 2u);
  BOOST_TEST(b.dropped() == 0u);  // deleting a topic is not a loss
  b.expire(150);
  BOOST_TEST(b.size() == 1u);
  BOOST_TEST(b.dropped() == 1u);
  BOOST_TEST(orders_of(b, "a") == std::vector<std::int64_t>{2});
  b.expire(1000);
  BOOST_TEST(b.size() == 0u);
  BOOST_TEST(b.dropped() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace warren
