// Tests for the pure __consumer_offsets decoder (service/offsets/decode.hpp) and its encoder.
// Golden vectors below are written by hand from Kafka's message specs (see
// proto/kafka/consumer_offsets.md), not produced by the encoder under test.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <deque>
#include <ostream>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "service/offsets/decode.hpp"
#include "tests/support/offsets_encode.hpp"

namespace warren::offsets {
// Lets BOOST_TEST print reasons by name (found through ADL).
inline std::ostream& boost_test_print_type(std::ostream& os, error_reason r) { return os << to_string(r); }
}  // namespace warren::offsets

namespace wo = warren::offsets;
using bytes = std::vector<std::byte>;

namespace {

// "00 01 ab" -> bytes. Quoted text 'abc' is appended as ASCII. Whitespace is ignored.
bytes hex(std::string_view s) {
  bytes out;
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c == ' ' || c == '\n' || c == '|') {
      ++i;
    } else if (c == '\'') {
      const auto end = s.find('\'', i + 1);
      for (std::size_t j = i + 1; j < end; ++j) out.push_back(static_cast<std::byte>(s[j]));
      i = end + 1;
    } else {
      out.push_back(static_cast<std::byte>(std::stoi(std::string(s.substr(i, 2)), nullptr, 16)));
      i += 2;
    }
  }
  return out;
}

std::span<const std::byte> span_of(const bytes& b) { return {b.data(), b.size()}; }

// Decodes copies of key/value kept in an arena that lives for the whole test run, so the
// string_views in a result stay valid however the caller's temporaries are scoped. Each copy is
// its own exact-size allocation, so ASan still flags any read past the end.
wo::decoded run(const bytes& key, const std::optional<bytes>& value) {
  static std::deque<bytes> arena;
  const bytes& k = arena.emplace_back(key);
  std::optional<std::span<const std::byte>> v;
  if (value) v = span_of(arena.emplace_back(*value));
  return wo::decode(span_of(k), v);
}

template <class T>
T as(const wo::decoded& d) {
  if (const auto* e = std::get_if<wo::decode_error>(&d)) {
    BOOST_FAIL("decode_error " << wo::to_string(e->reason) << " at " << e->position);
  }
  BOOST_REQUIRE(std::holds_alternative<T>(d));
  return std::get<T>(d);
}

bool same_bytes(std::optional<std::span<const std::byte>> a, std::optional<std::span<const std::byte>> b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || std::ranges::equal(*a, *b);
}

void check_equal(const wo::offset_commit& a, const wo::offset_commit& b) {
  BOOST_TEST(a.group == b.group);
  BOOST_TEST(a.topic == b.topic);
  BOOST_TEST(a.partition == b.partition);
  BOOST_TEST(a.offset == b.offset);
  BOOST_TEST(a.leader_epoch == b.leader_epoch);
  BOOST_TEST(a.metadata == b.metadata);
  BOOST_TEST(a.commit_timestamp == b.commit_timestamp);
  BOOST_TEST(a.expire_timestamp == b.expire_timestamp);
  BOOST_TEST(a.key_version == b.key_version);
  BOOST_TEST(a.value_version == b.value_version);
}

void check_equal(const wo::group_metadata& a, const wo::group_metadata& b) {
  BOOST_TEST(a.group == b.group);
  BOOST_TEST(a.value_version == b.value_version);
  BOOST_TEST(a.protocol_type == b.protocol_type);
  BOOST_TEST(a.generation == b.generation);
  BOOST_TEST((a.protocol == b.protocol));
  BOOST_TEST((a.leader == b.leader));
  BOOST_TEST(a.current_state_timestamp == b.current_state_timestamp);
  BOOST_REQUIRE_EQUAL(a.members.size(), b.members.size());
  for (std::size_t i = 0; i < a.members.size(); ++i) {
    const auto& x = a.members[i];
    const auto& y = b.members[i];
    BOOST_TEST_CONTEXT("member " << i) {
      BOOST_TEST(x.member_id == y.member_id);
      BOOST_TEST((x.group_instance_id == y.group_instance_id));
      BOOST_TEST(x.client_id == y.client_id);
      BOOST_TEST(x.client_host == y.client_host);
      BOOST_TEST(x.rebalance_timeout == y.rebalance_timeout);
      BOOST_TEST(x.session_timeout == y.session_timeout);
      BOOST_TEST(std::ranges::equal(x.subscription, y.subscription));
      BOOST_TEST(x.assignment_version == y.assignment_version);
      BOOST_TEST(same_bytes(x.user_data, y.user_data));
      BOOST_REQUIRE_EQUAL(x.assignment.size(), y.assignment.size());
      for (std::size_t t = 0; t < x.assignment.size(); ++t) {
        BOOST_TEST(x.assignment[t].topic == y.assignment[t].topic);
        BOOST_TEST(x.assignment[t].partitions == y.assignment[t].partitions, boost::test_tools::per_element());
      }
    }
  }
}

// Hand-written pieces shared by the golden vectors.
constexpr std::string_view key_v1_g_t_5 = "00 01 | 00 01 'g' | 00 01 't' | 00 00 00 05";
// ConsumerProtocolAssignment v0: topic "t" partitions [0, 3], null user data (25 bytes).
constexpr std::string_view assignment_v0 =
    "00 00 | 00 00 00 01 | 00 01 't' | 00 00 00 02 00 00 00 00 00 00 00 03 | ff ff ff ff";

}  // namespace

BOOST_AUTO_TEST_SUITE(offsets_decode)

// --- keys and offset-commit values, golden -----------------------------------------------------

BOOST_AUTO_TEST_CASE(offset_commit_values_every_version_decode_from_hand_written_bytes) {
  struct row {
    const char* name;
    std::string key;
    std::string value;
    wo::offset_commit expected;
  };
  const std::string k0 = "00 00 | 00 01 'g' | 00 01 't' | 00 00 00 05";
  const std::string k1{key_v1_g_t_5};
  // offset 0x0102 = 258, commit 0x018c... ms; metadata "md".
  const std::vector<row> rows{
      {"key v0 value v0", k0, "00 00 | 00 00 00 00 00 00 01 02 | 00 02 'md' | 00 00 01 8c 00 00 00 01",
       {"g", "t", 5, 258, -1, "md", 0x018c00000001, -1, 0, 0}},
      {"key v1 value v1 (expire)", k1,
       "00 01 | 00 00 00 00 00 00 01 02 | 00 00 | 00 00 01 8c 00 00 00 01 | 00 00 01 8c 00 00 00 02",
       {"g", "t", 5, 258, -1, "", 0x018c00000001, 0x018c00000002, 1, 1}},
      {"value v2 (v0 layout)", k1, "00 02 | 00 00 00 00 00 00 00 07 | 00 00 | 00 00 00 00 00 00 00 09",
       {"g", "t", 5, 7, -1, "", 9, -1, 1, 2}},
      {"value v3 (leader epoch)", k1,
       "00 03 | 00 00 00 00 00 00 00 07 | 00 00 00 04 | 00 01 'x' | 00 00 00 00 00 00 00 09",
       {"g", "t", 5, 7, 4, "x", 9, -1, 1, 3}},
      {"value v3 negative epoch", k1,
       "00 03 | 00 00 00 00 00 00 00 07 | ff ff ff ff | 00 00 | 00 00 00 00 00 00 00 09",
       {"g", "t", 5, 7, -1, "", 9, -1, 1, 3}},
      {"value v4 flexible", k1,
       "00 04 | 00 00 00 00 00 00 00 07 | 00 00 00 04 | 03 'md' | 00 00 00 00 00 00 00 09 | 00",
       {"g", "t", 5, 7, 4, "md", 9, -1, 1, 4}},
      {"value v4 with unknown tagged fields", k1,
       "00 04 | 00 00 00 00 00 00 00 07 | 00 00 00 04 | 01 | 00 00 00 00 00 00 00 09 | 02 | 00 02 aa bb | 85 01 00",
       {"g", "t", 5, 7, 4, "", 9, -1, 1, 4}},
      {"value v4 max offset", k1,
       "00 04 | 7f ff ff ff ff ff ff ff | 7f ff ff ff | 01 | ff ff ff ff ff ff ff ff | 00",
       {"g", "t", 5, INT64_MAX, INT32_MAX, "", -1, -1, 1, 4}},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      const auto key = hex(r.key);
      const auto value = hex(r.value);
      check_equal(as<wo::offset_commit>(run(key, value)), r.expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(v4_metadata_longer_than_127_bytes_uses_a_two_byte_varint) {
  // Burrow reads this length as one byte; the spec's unsigned varint says 200+1 = c9 01.
  const std::string md(200, 'm');
  auto value = hex("00 04 | 00 00 00 00 00 00 00 07 | 00 00 00 04 | c9 01");
  for (char c : md) value.push_back(static_cast<std::byte>(c));
  const auto tail = hex("00 00 00 00 00 00 00 09 | 00");
  value.insert(value.end(), tail.begin(), tail.end());
  const auto& oc = as<wo::offset_commit>(run(hex(key_v1_g_t_5), value));
  BOOST_TEST(oc.metadata == md);
  BOOST_TEST(oc.commit_timestamp == 9);
}

BOOST_AUTO_TEST_CASE(decoded_strings_point_into_the_input_buffers) {
  const auto key = hex(key_v1_g_t_5);
  const auto value = hex("00 03 | 00 00 00 00 00 00 00 07 | 00 00 00 04 | 00 01 'x' | 00 00 00 00 00 00 00 09");
  const auto d = wo::decode(span_of(key), span_of(value));
  const auto& oc = std::get<wo::offset_commit>(d);
  const auto* kb = reinterpret_cast<const char*>(key.data());
  const auto* vb = reinterpret_cast<const char*>(value.data());
  BOOST_TEST((oc.group.data() == kb + 4));
  BOOST_TEST((oc.topic.data() == kb + 7));
  BOOST_TEST((oc.metadata.data() == vb + 16));
}

BOOST_AUTO_TEST_CASE(tombstones_are_keys_with_null_values) {
  const auto& ot = as<wo::offset_tombstone>(run(hex("00 00 | 00 01 'g' | 00 02 'tt' | ff ff ff ff"), std::nullopt));
  BOOST_TEST(ot.group == "g");
  BOOST_TEST(ot.topic == "tt");
  BOOST_TEST(ot.partition == -1);
  BOOST_TEST(ot.key_version == 0);
  const auto& gt = as<wo::group_tombstone>(run(hex("00 02 | 00 02 'g1'"), std::nullopt));
  BOOST_TEST(gt.group == "g1");
}

BOOST_AUTO_TEST_CASE(present_but_empty_value_is_not_a_tombstone) {
  const auto d = run(hex(key_v1_g_t_5), bytes{});
  BOOST_REQUIRE(std::holds_alternative<wo::decode_error>(d));
  BOOST_TEST(std::get<wo::decode_error>(d).reason == wo::error_reason::truncated);
  BOOST_TEST((std::get<wo::decode_error>(d).part == wo::record_part::value));
}

BOOST_AUTO_TEST_CASE(new_coordinator_record_kinds_are_recognised_and_skipped) {
  for (std::int16_t kv = 3; kv <= 24; ++kv) {
    BOOST_TEST_CONTEXT("key version " << kv) {
      bytes key = hex("00 00 | 00 03 'grp' | 00 02 'm1'");
      key[1] = static_cast<std::byte>(kv);
      const auto& r = as<wo::other_record>(run(key, hex("00 00 ff ff")));  // value never read
      BOOST_TEST(r.key_version == kv);
      BOOST_TEST(r.group == "grp");
      BOOST_TEST(!r.tombstone);
      BOOST_TEST(as<wo::other_record>(run(key, std::nullopt)).tombstone);
    }
  }
  // Unreadable body: still recognised, group left empty.
  const auto& r = as<wo::other_record>(run(hex("00 03 | 00 09 'g'"), std::nullopt));
  BOOST_TEST(r.group.empty());
}

// --- group metadata, golden ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(group_metadata_values_every_version_decode_from_hand_written_bytes) {
  const std::string a0{assignment_v0};
  struct row {
    const char* name;
    std::string value;
    std::int16_t version;
    std::int64_t state_ts;
    std::int32_t rebalance;
    std::optional<std::string_view> instance;
  };
  const std::vector<row> rows{
      {"v0",
       "00 00 | 00 08 'consumer' | 00 00 00 07 | 00 05 'range' | 00 02 'm1' | 00 00 00 01 |"
       " 00 02 'm1' | 00 01 'c' | 00 01 'h' | 00 00 27 10 | 00 00 00 00 | 00 00 00 19 " + a0,
       0, -1, -1, std::nullopt},
      {"v1 (rebalance timeout)",
       "00 01 | 00 08 'consumer' | 00 00 00 07 | 00 05 'range' | 00 02 'm1' | 00 00 00 01 |"
       " 00 02 'm1' | 00 01 'c' | 00 01 'h' | 00 00 75 30 | 00 00 27 10 | 00 00 00 00 | 00 00 00 19 " + a0,
       1, -1, 30000, std::nullopt},
      {"v2 (state timestamp)",
       "00 02 | 00 08 'consumer' | 00 00 00 07 | 00 05 'range' | 00 02 'm1' | 00 00 00 00 00 00 00 63 |"
       " 00 00 00 01 | 00 02 'm1' | 00 01 'c' | 00 01 'h' | 00 00 75 30 | 00 00 27 10 | 00 00 00 00 |"
       " 00 00 00 19 " + a0,
       2, 99, 30000, std::nullopt},
      {"v3 (static member)",
       "00 03 | 00 08 'consumer' | 00 00 00 07 | 00 05 'range' | 00 02 'm1' | 00 00 00 00 00 00 00 63 |"
       " 00 00 00 01 | 00 02 'm1' | 00 01 'i' | 00 01 'c' | 00 01 'h' | 00 00 75 30 | 00 00 27 10 |"
       " 00 00 00 00 | 00 00 00 19 " + a0,
       3, 99, 30000, std::string_view("i")},
      {"v3 (null instance id)",
       "00 03 | 00 08 'consumer' | 00 00 00 07 | 00 05 'range' | 00 02 'm1' | 00 00 00 00 00 00 00 63 |"
       " 00 00 00 01 | 00 02 'm1' | ff ff | 00 01 'c' | 00 01 'h' | 00 00 75 30 | 00 00 27 10 |"
       " 00 00 00 00 | 00 00 00 19 " + a0,
       3, 99, 30000, std::nullopt},
      {"v4 (flexible)",
       "00 04 | 09 'consumer' | 00 00 00 07 | 06 'range' | 03 'm1' | 00 00 00 00 00 00 00 63 | 02 |"
       " 03 'm1' | 02 'i' | 02 'c' | 02 'h' | 00 00 75 30 | 00 00 27 10 | 01 | 1a " + a0 + " | 00 | 00",
       4, 99, 30000, std::string_view("i")},
      {"v4 (tagged fields in member and group)",
       "00 04 | 09 'consumer' | 00 00 00 07 | 06 'range' | 03 'm1' | 00 00 00 00 00 00 00 63 | 02 |"
       " 03 'm1' | 02 'i' | 02 'c' | 02 'h' | 00 00 75 30 | 00 00 27 10 | 01 | 1a " + a0 +
           " | 01 07 01 ee | 02 00 00 01 01 aa",
       4, 99, 30000, std::string_view("i")},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      const auto key = hex("00 02 | 00 02 'g1'");
      const auto value = hex(r.value);
      const auto& g = as<wo::group_metadata>(run(key, value));
      BOOST_TEST(g.group == "g1");
      BOOST_TEST(g.value_version == r.version);
      BOOST_TEST(g.protocol_type == "consumer");
      BOOST_TEST(g.generation == 7);
      BOOST_TEST((g.protocol == std::optional<std::string_view>("range")));
      BOOST_TEST((g.leader == std::optional<std::string_view>("m1")));
      BOOST_TEST(g.current_state_timestamp == r.state_ts);
      BOOST_REQUIRE_EQUAL(g.members.size(), 1U);
      const auto& m = g.members[0];
      BOOST_TEST(m.member_id == "m1");
      BOOST_TEST((m.group_instance_id == r.instance));
      BOOST_TEST(m.client_id == "c");
      BOOST_TEST(m.client_host == "h");
      BOOST_TEST(m.rebalance_timeout == r.rebalance);
      BOOST_TEST(m.session_timeout == 10000);
      BOOST_TEST(m.subscription.empty());
      BOOST_TEST(m.assignment_bytes.size() == 25U);
      BOOST_TEST(m.assignment_version == 0);
      BOOST_TEST(!m.user_data.has_value());
      BOOST_REQUIRE_EQUAL(m.assignment.size(), 1U);
      BOOST_TEST(m.assignment[0].topic == "t");
      BOOST_TEST(m.assignment[0].partitions == (std::vector<std::int32_t>{0, 3}), boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(group_with_null_protocol_and_no_members_decodes) {
  // An Empty group keeps its protocol type; protocol and leader are null.
  const auto& g = as<wo::group_metadata>(run(hex("00 02 | 00 02 'g1'"),
      hex("00 03 | 00 08 'consumer' | 00 00 00 00 | ff ff | ff ff | 00 00 00 00 00 00 00 01 | 00 00 00 00")));
  BOOST_TEST(!g.protocol.has_value());
  BOOST_TEST(!g.leader.has_value());
  BOOST_TEST(g.members.empty());
  const auto& g4 = as<wo::group_metadata>(run(hex("00 02 | 00 02 'g1'"),
      hex("00 04 | 01 | 00 00 00 00 | 00 | 00 | 00 00 00 00 00 00 00 01 | 01 | 00")));
  BOOST_TEST(g4.protocol_type.empty());
  BOOST_TEST(!g4.protocol.has_value());
}

BOOST_AUTO_TEST_CASE(assignment_versions_and_user_data) {
  struct row {
    const char* name;
    std::string bytes;
    std::int16_t version;
    std::optional<std::string> user_data;
  };
  const std::vector<row> rows{
      {"v1 empty user data", "00 01 | 00 00 00 00 | 00 00 00 00", 1, std::string{}},
      {"v2 user data", "00 02 | 00 00 00 00 | 00 00 00 02 'ud'", 2, std::string("ud")},
      {"v3 null user data", "00 03 | 00 00 00 00 | ff ff ff ff", 3, std::nullopt},
      {"v7 read with the v3 layout, extra bytes allowed", "00 07 | 00 00 00 00 | ff ff ff ff | 01 02 03", 7,
       std::nullopt},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      const auto b = hex(r.bytes);
      std::vector<wo::topic_assignment> topics;
      std::optional<std::span<const std::byte>> ud;
      const auto v = wo::decode_assignment(span_of(b), topics, ud);
      BOOST_REQUIRE(v.has_value());
      BOOST_TEST(*v == r.version);
      BOOST_TEST(topics.empty());
      BOOST_TEST(ud.has_value() == r.user_data.has_value());
      if (ud && r.user_data) {
        BOOST_TEST(std::string(reinterpret_cast<const char*>(ud->data()), ud->size()) == *r.user_data);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(non_consumer_protocol_keeps_raw_assignment_and_does_not_fail) {
  // protocol_type "connect": assignment bytes are Connect's own format (here: junk for us).
  const auto& g = as<wo::group_metadata>(run(hex("00 02 | 00 02 'g1'"),
      hex("00 01 | 00 07 'connect' | 00 00 00 02 | 00 01 'p' | 00 02 'm1' | 00 00 00 01 |"
          " 00 02 'm1' | 00 01 'c' | 00 01 'h' | 00 00 75 30 | 00 00 27 10 | 00 00 00 00 | 00 00 00 03 ab cd ef")));
  BOOST_TEST(g.protocol_type == "connect");
  BOOST_REQUIRE_EQUAL(g.members.size(), 1U);
  BOOST_TEST(g.members[0].assignment.empty());
  BOOST_TEST(g.members[0].assignment_version == -1);
  BOOST_TEST(g.members[0].assignment_bytes.size() == 3U);
}

BOOST_AUTO_TEST_CASE(empty_assignment_bytes_mean_rebalance_in_progress) {
  const auto& g = as<wo::group_metadata>(run(hex("00 02 | 00 02 'g1'"),
      hex("00 01 | 00 08 'consumer' | 00 00 00 02 | 00 01 'p' | 00 02 'm1' | 00 00 00 01 |"
          " 00 02 'm1' | 00 01 'c' | 00 01 'h' | 00 00 75 30 | 00 00 27 10 | 00 00 00 00 | 00 00 00 00")));
  BOOST_TEST(g.members[0].assignment_version == -1);
  BOOST_TEST(g.members[0].assignment.empty());
}

// --- every error reason, golden -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(every_error_reason_from_hand_written_bytes) {
  using wo::error_reason;
  using wo::record_part;
  struct row {
    const char* name;
    std::string key;
    std::optional<std::string> value;
    error_reason reason;
    record_part part;
    std::size_t position;
  };
  const std::string k1{key_v1_g_t_5};
  const std::string gk = "00 02 | 00 02 'g1'";
  const std::string gm_head = "00 01 | 00 08 'consumer' | 00 00 00 02 | 00 01 'p' | 00 02 'm1' | 00 00 00 01 |"
                              " 00 02 'm1' | 00 01 'c' | 00 01 'h' | 00 00 75 30 | 00 00 27 10 | 00 00 00 00 |";
  const std::vector<row> rows{
      {"empty key", "", "", error_reason::truncated, record_part::key, 0},
      {"one-byte key", "00", std::nullopt, error_reason::truncated, record_part::key, 0},
      {"key cut in partition", "00 01 | 00 01 'g' | 00 01 't' | 00 00", std::nullopt, error_reason::truncated,
       record_part::key, 8},
      {"value cut in offset", k1, "00 03 | 00 00 00", error_reason::truncated, record_part::value, 2},
      {"value v1 without expire", k1, "00 01 | 00 00 00 00 00 00 00 07 | 00 00 | 00 00 00 00 00 00 00 09",
       error_reason::truncated, record_part::value, 20},
      {"v4 varint cut", k1, "00 04 | 00 00 00 00 00 00 00 07 | 00 00 00 04 | 81", error_reason::truncated,
       record_part::value, 14},
      {"negative key string", "00 01 | ff fe", std::nullopt, error_reason::negative_length, record_part::key, 2},
      {"negative metadata", k1, "00 00 | 00 00 00 00 00 00 00 07 | 80 00 | 00 00 00 00 00 00 00 09",
       error_reason::negative_length, record_part::value, 10},
      {"negative member count", gk, "00 00 | 00 00 | 00 00 00 00 | ff ff | ff ff | ff ff ff fe",
       error_reason::negative_length, record_part::value, 12},
      {"negative subscription length", gk,
       "00 00 | 00 00 | 00 00 00 00 | ff ff | ff ff | 00 00 00 01 | 00 00 | 00 00 | 00 00 | 00 00 00 00 |"
       " 80 00 00 00 | 00 00 00 00",
       error_reason::negative_length, record_part::value, 26},
      {"key string longer than key", "00 01 | 00 10 'g'", std::nullopt, error_reason::length_too_large,
       record_part::key, 2},
      {"v4 metadata longer than value", k1, "00 04 | 00 00 00 00 00 00 00 07 | 00 00 00 04 | 05 'ab'",
       error_reason::length_too_large, record_part::value, 14},
      {"member count the value cannot hold", gk, "00 00 | 00 00 | 00 00 00 00 | ff ff | ff ff | 00 00 00 02",
       error_reason::length_too_large, record_part::value, 12},
      {"tagged field size past the end", k1,
       "00 04 | 00 00 00 00 00 00 00 07 | 00 00 00 04 | 01 | 00 00 00 00 00 00 00 09 | 01 | 00 05 aa",
       error_reason::length_too_large, record_part::value, 25},
      {"tagged field count past the end", k1,
       "00 04 | 00 00 00 00 00 00 00 07 | 00 00 00 04 | 01 | 00 00 00 00 00 00 00 09 | 7f | 00 00",
       error_reason::length_too_large, record_part::value, 23},
      {"null group in key", "00 01 | ff ff | 00 01 't' | 00 00 00 05", std::nullopt,
       error_reason::unexpected_null, record_part::key, 2},
      {"null metadata v3", k1, "00 03 | 00 00 00 00 00 00 00 07 | 00 00 00 04 | ff ff | 00 00 00 00 00 00 00 09",
       error_reason::unexpected_null, record_part::value, 14},
      {"null compact metadata v4", k1,
       "00 04 | 00 00 00 00 00 00 00 07 | 00 00 00 04 | 00 | 00 00 00 00 00 00 00 09 | 00",
       error_reason::unexpected_null, record_part::value, 14},
      {"null protocol type", gk, "00 00 | ff ff | 00 00 00 00 | ff ff | ff ff | 00 00 00 00",
       error_reason::unexpected_null, record_part::value, 2},
      {"null members array", gk, "00 00 | 00 00 | 00 00 00 00 | ff ff | ff ff | ff ff ff ff",
       error_reason::unexpected_null, record_part::value, 12},
      {"null compact members array", gk, "00 04 | 01 | 00 00 00 00 | 00 | 00 | 00 00 00 00 00 00 00 00 | 00 | 00",
       error_reason::unexpected_null, record_part::value, 17},
      {"varint of six bytes", k1,
       "00 04 | 00 00 00 00 00 00 00 07 | 00 00 00 04 | ff ff ff ff ff 01 | 00 00 00 00 00 00 00 09 | 00",
       error_reason::bad_varint, record_part::value, 14},
      {"varint over 32 bits", k1,
       "00 04 | 00 00 00 00 00 00 00 07 | 00 00 00 04 | 80 80 80 80 10 | 00 00 00 00 00 00 00 09 | 00",
       error_reason::bad_varint, record_part::value, 14},
      {"trailing key byte", "00 01 | 00 01 'g' | 00 01 't' | 00 00 00 05 | 00", std::nullopt,
       error_reason::trailing_bytes, record_part::key, 12},
      {"trailing group key byte", "00 02 | 00 02 'g1' | 00", std::nullopt, error_reason::trailing_bytes,
       record_part::key, 6},
      {"trailing value byte v3", k1, "00 03 | 00 00 00 00 00 00 00 07 | 00 00 00 04 | 00 00 | 00 00 00 00 00 00 00 09 | 00",
       error_reason::trailing_bytes, record_part::value, 24},
      {"trailing value byte v4 after tags", k1,
       "00 04 | 00 00 00 00 00 00 00 07 | 00 00 00 04 | 01 | 00 00 00 00 00 00 00 09 | 00 | 00",
       error_reason::trailing_bytes, record_part::value, 24},
      {"trailing group value byte", gk, "00 00 | 00 00 | 00 00 00 00 | ff ff | ff ff | 00 00 00 00 | 00",
       error_reason::trailing_bytes, record_part::value, 16},
      {"record type 25", "00 19 | 00 01 'g'", std::nullopt, error_reason::unknown_key_version, record_part::key, 0},
      {"record type -1", "ff ff | 00 01 'g'", std::nullopt, error_reason::unknown_key_version, record_part::key, 0},
      {"offset value v5", k1, "00 05 | 00 00 00 00 00 00 00 07", error_reason::unknown_value_version,
       record_part::value, 0},
      {"offset value v-1", k1, "ff ff", error_reason::unknown_value_version, record_part::value, 0},
      {"group value v5", gk, "00 05 | 00", error_reason::unknown_value_version, record_part::value, 0},
      {"assignment topic count with no topic", gk, gm_head + " 00 00 00 06 | 00 00 00 00 00 01",
       error_reason::bad_assignment, record_part::value, 49},
      {"assignment v0 with extra bytes", gk, gm_head + " 00 00 00 0b | 00 00 | 00 00 00 00 | ff ff ff ff | 00",
       error_reason::bad_assignment, record_part::value, 49},
      {"assignment with negative version", gk, gm_head + " 00 00 00 0a | ff ff | 00 00 00 00 | ff ff ff ff",
       error_reason::bad_assignment, record_part::value, 49},
  };
  std::set<error_reason> seen;
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      std::optional<bytes> value;
      if (r.value) value = hex(*r.value);
      const auto d = run(hex(r.key), value);
      BOOST_REQUIRE(std::holds_alternative<wo::decode_error>(d));
      const auto& e = std::get<wo::decode_error>(d);
      BOOST_TEST(wo::to_string(e.reason) == wo::to_string(r.reason));
      BOOST_TEST((e.part == r.part));
      BOOST_TEST(e.position == r.position);
      seen.insert(e.reason);
    }
  }
  // allocation_failed cannot be provoked from bytes: counts are bounded by the input size.
  BOOST_TEST(seen.size() == wo::error_reason_count - 1);
}

BOOST_AUTO_TEST_CASE(error_reasons_have_distinct_stable_names) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < wo::error_reason_count; ++i) {
    BOOST_TEST(static_cast<std::size_t>(wo::all_error_reasons[i]) == i);
    names.insert(wo::to_string(wo::all_error_reasons[i]));
  }
  BOOST_TEST(names.size() == wo::error_reason_count);
  BOOST_TEST(!names.contains("unknown"));
  static_assert(wo::to_string(wo::error_reason::trailing_bytes) == "trailing_bytes");
}

BOOST_AUTO_TEST_CASE(error_carries_versions_read_so_far) {
  const auto d = run(hex(key_v1_g_t_5), hex("00 07"));
  const auto& e = std::get<wo::decode_error>(d);
  BOOST_TEST(e.key_version == 1);
  BOOST_TEST(e.value_version == 7);
}

// --- round trips --------------------------------------------------------------------------------

namespace {

std::vector<wo::offset_commit> sample_commits() {
  std::vector<wo::offset_commit> out;
  for (std::int16_t kv : {0, 1}) {
    for (std::int16_t vv = 0; vv <= wo::offset_commit_value_max_version; ++vv) {
      wo::offset_commit c{"orders-service", "orders", 17,
                          123456789012LL, vv >= 3 ? 42 : -1, vv % 2 ? "" : "some metadata",
                          1700000000123LL, vv == 1 ? 1700086400123LL : -1, kv, vv};
      out.push_back(c);
    }
  }
  return out;
}

const bytes subscription = hex("00 01 00 00 00 01 00 01 't' ff ff ff ff");
const bytes user_data = hex("'user'");

wo::group_metadata sample_group(std::int16_t ver, std::size_t members) {
  static const std::vector<std::string> ids{"consumer-1-aaaa", "consumer-2-bbbb", "consumer-3-cccc"};
  wo::group_metadata g;
  g.group = "orders-service";
  g.value_version = ver;
  g.protocol_type = "consumer";
  g.generation = 12;
  g.protocol = "cooperative-sticky";
  g.leader = members ? std::optional<std::string_view>(ids[0]) : std::nullopt;
  g.current_state_timestamp = ver >= 2 ? 1700000000000LL : -1;
  for (std::size_t i = 0; i < members; ++i) {
    wo::member m;
    m.member_id = ids[i];
    if (ver >= 3 && i == 1) m.group_instance_id = "static-2";
    m.client_id = "client";
    m.client_host = "/10.0.0.1";
    m.rebalance_timeout = ver >= 1 ? 300000 : -1;
    m.session_timeout = 45000;
    m.subscription = span_of(subscription);
    m.assignment_version = static_cast<std::int16_t>(i);  // 0, 1, 2
    m.assignment.push_back({"orders", {static_cast<std::int32_t>(i), static_cast<std::int32_t>(i + 3)}});
    m.assignment.push_back({"payments", {}});
    if (i == 2) m.user_data = span_of(user_data);
    g.members.push_back(m);
  }
  return g;
}

}  // namespace

BOOST_AUTO_TEST_CASE(offset_commits_round_trip_every_key_and_value_version) {
  for (const auto& c : sample_commits()) {
    BOOST_TEST_CONTEXT("key v" << c.key_version << " value v" << c.value_version) {
      const auto rec = wo::encode(c);
      check_equal(as<wo::offset_commit>(run(rec.key, rec.value)), c);
    }
  }
}

BOOST_AUTO_TEST_CASE(group_metadata_round_trips_every_value_version) {
  for (std::int16_t ver = 0; ver <= wo::group_metadata_value_max_version; ++ver) {
    for (std::size_t members : {0U, 1U, 3U}) {
      BOOST_TEST_CONTEXT("value v" << ver << " with " << members << " members") {
        const auto g = sample_group(ver, members);
        const auto rec = wo::encode(g);
        check_equal(as<wo::group_metadata>(run(rec.key, rec.value)), g);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(tombstones_round_trip) {
  const auto ot = wo::encode(wo::offset_tombstone{"g", "t", 3, 0});
  BOOST_TEST(!ot.value.has_value());
  const auto& t = as<wo::offset_tombstone>(run(ot.key, ot.value));
  BOOST_TEST(t.group == "g");
  BOOST_TEST(t.topic == "t");
  BOOST_TEST(t.partition == 3);
  BOOST_TEST(t.key_version == 0);
  const auto gt = wo::encode(wo::group_tombstone{"g"});
  BOOST_TEST(!gt.value.has_value());
  BOOST_TEST(as<wo::group_tombstone>(run(gt.key, gt.value)).group == "g");
}

BOOST_AUTO_TEST_CASE(encoder_matches_hand_written_bytes) {
  wo::offset_commit c{"g", "t", 5, 7, 4, "md", 9, -1, 1, 4};
  BOOST_TEST((wo::encode_offset_commit_key("g", "t", 5) == hex(key_v1_g_t_5)));
  BOOST_TEST((wo::encode_offset_commit_value(c) ==
              hex("00 04 | 00 00 00 00 00 00 00 07 | 00 00 00 04 | 03 'md' | 00 00 00 00 00 00 00 09 | 00")));
  const std::vector<wo::topic_assignment> topics{{"t", {0, 3}}};
  BOOST_TEST((wo::encode_assignment(0, topics, std::nullopt) == hex(assignment_v0)));
}

BOOST_AUTO_TEST_CASE(encoder_rejects_versions_it_cannot_write) {
  wo::offset_commit c{"g", "t", 5, 7, 4, "", 9, -1, 1, 5};
  BOOST_CHECK_THROW((void)wo::encode_offset_commit_value(c), std::invalid_argument);
  BOOST_CHECK_THROW((void)wo::encode_offset_commit_key("g", "t", 0, 2), std::invalid_argument);
  wo::group_metadata g;
  g.value_version = -1;
  BOOST_CHECK_THROW((void)wo::encode_group_metadata_value(g), std::invalid_argument);
  const std::string long_string(40000, 'x');
  BOOST_CHECK_THROW((void)wo::encode_offset_commit_key(long_string, "t", 0), std::invalid_argument);
}

// --- robustness ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(every_truncation_of_a_valid_record_is_a_decode_error) {
  std::vector<wo::encoded_record> records;
  for (const auto& c : sample_commits()) records.push_back(wo::encode(c));
  for (std::int16_t ver = 0; ver <= wo::group_metadata_value_max_version; ++ver) {
    records.push_back(wo::encode(sample_group(ver, 3)));
  }
  std::size_t cases = 0;
  for (const auto& rec : records) {
    for (std::size_t n = 0; n < rec.key.size(); ++n) {
      const bytes key(rec.key.begin(), rec.key.begin() + static_cast<std::ptrdiff_t>(n));
      BOOST_TEST(std::holds_alternative<wo::decode_error>(run(key, rec.value)), "key prefix " << n);
      ++cases;
    }
    for (std::size_t n = 0; n < rec.value->size(); ++n) {
      // A fresh allocation of exactly n bytes, so ASan catches any read past the end.
      const bytes value(rec.value->begin(), rec.value->begin() + static_cast<std::ptrdiff_t>(n));
      BOOST_TEST(std::holds_alternative<wo::decode_error>(run(rec.key, value)), "value prefix " << n);
      ++cases;
    }
  }
  BOOST_TEST_MESSAGE("truncations checked: " << cases);
}

BOOST_AUTO_TEST_CASE(random_byte_flips_never_crash_and_errors_name_a_reason) {
  std::mt19937 rng(20240601);
  std::vector<wo::encoded_record> records;
  for (const auto& c : sample_commits()) records.push_back(wo::encode(c));
  for (std::int16_t ver = 0; ver <= wo::group_metadata_value_max_version; ++ver) {
    records.push_back(wo::encode(sample_group(ver, 3)));
  }
  std::size_t errors = 0;
  for (int i = 0; i < 20000; ++i) {
    auto rec = records[rng() % records.size()];
    auto& target = (rng() % 4 == 0) ? rec.key : *rec.value;
    if (target.empty()) continue;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) target[rng() % target.size()] = static_cast<std::byte>(rng());
    const auto d = run(rec.key, rec.value);
    if (const auto* e = std::get_if<wo::decode_error>(&d)) {
      ++errors;
      BOOST_REQUIRE(static_cast<std::size_t>(e->reason) < wo::error_reason_count);
      BOOST_REQUIRE(e->position <= std::max(rec.key.size(), rec.value->size()));
    }
  }
  BOOST_TEST(errors > 0U);
}

BOOST_AUTO_TEST_SUITE_END()
