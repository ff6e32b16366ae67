// Sample ring codec: compact and wide encodings round-trip every field.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "service/storage/sample_ring.hpp"

namespace warren {
namespace {

constexpr std::int64_t now_ms = 1'700'000'000'000;
const std::optional<std::uint64_t> null_lag;

}  // namespace

BOOST_AUTO_TEST_SUITE(storage_sample_ring)

BOOST_AUTO_TEST_CASE(sample_ring_is_compact_and_widens_for_huge_spans) {
  detail::sample_ring r;
  BOOST_TEST(!r.allocated());
  r.allocate(4);
  BOOST_TEST(r.heap_bytes() == 32u + 4u * 20u);
  r.push_back({10, 1, now_ms, now_ms + 5, 7});
  r.push_back({20, 2, now_ms + 1000, now_ms + 1000, null_lag});
  BOOST_TEST(!r.wide());
  r.push_back({30, 3, now_ms + (std::int64_t{1} << 33), now_ms, 0});  // span > 2^32 ms
  BOOST_TEST(r.wide());
  BOOST_TEST(r.heap_bytes() == 32u + 4u * 40u);
  r.push_front({5, 0, -1, -1, 1});
  r.push_back({40, 4, now_ms, now_ms, 2});  // full: the oldest (order 0) falls off
  const std::vector<consumer_offset> expected{{10, 1, now_ms, now_ms + 5, 7},
                                              {20, 2, now_ms + 1000, now_ms + 1000, null_lag},
                                              {30, 3, now_ms + (std::int64_t{1} << 33), now_ms, 0},
                                              {40, 4, now_ms, now_ms, 2}};
  BOOST_TEST_REQUIRE(r.size() == 4u);
  for (std::size_t i = 0; i < 4; ++i) BOOST_TEST((r.at(i) == expected[i]));
  r.insert(2, {25, 25, now_ms, now_ms, null_lag});  // full: oldest falls off, inserted before order 3
  BOOST_TEST(r.at(0).order == 2);
  BOOST_TEST(r.at(1).order == 25);
  BOOST_TEST(r.at(2).order == 3);
  r.assign(2, {31, 31, now_ms, now_ms, 9});  // the wide sample leaves: back to compact
  r.assign(1, {26, 26, now_ms, now_ms, 9});
  r.insert(1, {21, 21, now_ms, now_ms, 1});
  BOOST_TEST(!r.wide());
  BOOST_TEST(r.at(0).order == 21);
  BOOST_TEST(r.at(3).order == 4);
  r.push_back({50, 21 + (std::int64_t{1} << 32), now_ms, now_ms, 3});  // orders span > 2^32
  BOOST_TEST(r.wide());
  BOOST_TEST(r.at(3).order == 21 + (std::int64_t{1} << 32));
  r.push_back({51, 5, now_ms, now_ms, 3});  // orders below the base are re-based
  BOOST_TEST(r.at(3).order == 5);
  BOOST_TEST(r.at(0).order == 31);
}

BOOST_AUTO_TEST_CASE(sample_ring_widens_for_offsets_and_lags_beyond_32_bits_and_narrows_again) {
  const std::int64_t big = std::int64_t{1} << 40;  // above 2^32: compact against a rebased offset
  detail::sample_ring r;
  r.allocate(3);
  r.push_back({big, 1, now_ms, now_ms, 5});
  r.push_back({big + 100, 2, now_ms, now_ms, 0xfffffffeu});  // the largest lag that stays compact
  BOOST_TEST(!r.wide());
  BOOST_TEST((r.at(0) == consumer_offset{big, 1, now_ms, now_ms, 5}));
  BOOST_TEST((r.at(1) == consumer_offset{big + 100, 2, now_ms, now_ms, 0xfffffffeu}));
  r.push_back({big + 200, 3, now_ms, now_ms, 0xffffffffu});  // a lag of 2^32 − 1: wide
  BOOST_TEST(r.wide());
  BOOST_TEST((r.at(2).lag == std::optional<std::uint64_t>(0xffffffffu)));
  r.assign(2, {big + 200, 3, now_ms, now_ms, null_lag});
  r.insert(0, {big - 1, 0, now_ms, now_ms, null_lag});  // a rebuild: nothing needs 64 bits now
  BOOST_TEST(!r.wide());
  BOOST_TEST(r.at(0).offset == big - 1);
  BOOST_TEST(r.at(2).offset == big + 200);
  BOOST_TEST(!r.at(2).lag);

  detail::sample_ring s2;  // offsets spanning more than 2^32 in one window
  s2.allocate(2);
  s2.push_back({10, 1, now_ms, now_ms, 1});
  s2.push_back({10 + (std::int64_t{1} << 32), 2, now_ms, now_ms, 1});
  BOOST_TEST(s2.wide());
  BOOST_TEST(s2.at(0).offset == 10);
  BOOST_TEST(s2.at(1).offset == 10 + (std::int64_t{1} << 32));
  s2.insert(2, {11 + (std::int64_t{1} << 32), 3, now_ms, now_ms, 1});  // the low one falls off
  BOOST_TEST(!s2.wide());
  BOOST_TEST(s2.at(1).offset == 11 + (std::int64_t{1} << 32));

  constexpr auto lo = std::numeric_limits<std::int64_t>::min();
  constexpr auto hi = std::numeric_limits<std::int64_t>::max();
  s2.assign(0, {lo, lo, lo, hi, 7});
  s2.assign(1, {hi, hi, hi, lo, null_lag});
  BOOST_TEST(s2.wide());
  BOOST_TEST((s2.at(0) == consumer_offset{lo, lo, lo, hi, 7}));
  BOOST_TEST((s2.at(1) == consumer_offset{hi, hi, hi, lo, null_lag}));
}

BOOST_AUTO_TEST_CASE(sample_ring_moves_its_block_and_leaves_the_source_empty) {
  detail::sample_ring a;
  a.allocate(3);
  a.push_back({1, 1, now_ms, now_ms, 0});
  detail::sample_ring b(std::move(a));
  BOOST_TEST(!a.allocated());  // NOLINT(bugprone-use-after-move): moved-from state is specified
  BOOST_TEST_REQUIRE(b.size() == 1u);
  BOOST_TEST(b.at(0).offset == 1);
  detail::sample_ring c;
  c = std::move(b);
  BOOST_TEST(!b.allocated());  // NOLINT(bugprone-use-after-move)
  BOOST_TEST(c.capacity() == 3u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace warren
