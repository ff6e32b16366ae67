// libFuzzer target for the pure __consumer_offsets decoder (service/offsets/decode.cpp).
//
// Input layout: byte 0 = key length (clamped to what is left), byte 1 bit 0 = null value
// (tombstone), then the key bytes, then the value bytes. Key and value are copied into their own
// exact-size heap buffers so AddressSanitizer flags any read past either end.
//
// Besides "never crash", it checks two properties and traps on a violation:
// - a decode_error names a valid reason and a position inside the buffer it blames;
// - anything decoded as an offset commit or group metadata re-encodes (encode.cpp) to bytes that
//   decode to the same fields.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <variant>

#include "service/offsets/decode.hpp"
#include "tests/support/offsets_encode.hpp"

namespace wo = warren::offsets;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_round_trip(const wo::offset_commit& c) {
  const auto rec = wo::encode(c);
  const auto again = wo::decode(rec.key, std::span<const std::byte>(*rec.value));
  const auto* d = std::get_if<wo::offset_commit>(&again);
  check(d != nullptr);
  check(d->group == c.group && d->topic == c.topic && d->partition == c.partition &&
        d->offset == c.offset && d->leader_epoch == c.leader_epoch && d->metadata == c.metadata &&
        d->commit_timestamp == c.commit_timestamp && d->expire_timestamp == c.expire_timestamp &&
        d->key_version == c.key_version && d->value_version == c.value_version);
}

void check_round_trip(const wo::group_metadata& g) {
  const auto rec = wo::encode(g);
  const auto again = wo::decode(rec.key, std::span<const std::byte>(*rec.value));
  const auto* d = std::get_if<wo::group_metadata>(&again);
  check(d != nullptr);
  check(d->group == g.group && d->value_version == g.value_version &&
        d->protocol_type == g.protocol_type && d->generation == g.generation &&
        d->protocol == g.protocol && d->leader == g.leader &&
        d->current_state_timestamp == g.current_state_timestamp &&
        d->members.size() == g.members.size());
  for (std::size_t i = 0; i < g.members.size(); ++i) {
    const auto& a = g.members[i];
    const auto& b = d->members[i];
    check(a.member_id == b.member_id && a.group_instance_id == b.group_instance_id &&
          a.client_id == b.client_id && a.client_host == b.client_host &&
          a.rebalance_timeout == b.rebalance_timeout && a.session_timeout == b.session_timeout &&
          a.assignment_version == b.assignment_version && a.assignment.size() == b.assignment.size());
    for (std::size_t t = 0; t < a.assignment.size(); ++t) {
      check(a.assignment[t].topic == b.assignment[t].topic &&
            a.assignment[t].partitions == b.assignment[t].partitions);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t rest = size - 2;
  const std::size_t key_size = data[0] < rest ? data[0] : rest;
  const bool null_value = (data[1] & 1) != 0;
  const std::size_t value_size = rest - key_size;

  auto key = std::make_unique<std::byte[]>(key_size);
  auto value = std::make_unique<std::byte[]>(value_size);
  if (key_size) std::memcpy(key.get(), data + 2, key_size);
  if (value_size) std::memcpy(value.get(), data + 2 + key_size, value_size);

  std::optional<std::span<const std::byte>> v;
  if (!null_value) v.emplace(value.get(), value_size);
  const auto result = wo::decode(std::span<const std::byte>(key.get(), key_size), v);

  if (const auto* e = std::get_if<wo::decode_error>(&result)) {
    check(static_cast<std::size_t>(e->reason) < wo::error_reason_count);
    check(e->position <= (e->part == wo::record_part::key ? key_size : value_size));
  } else if (const auto* c = std::get_if<wo::offset_commit>(&result)) {
    check_round_trip(*c);
  } else if (const auto* g = std::get_if<wo::group_metadata>(&result)) {
    check_round_trip(*g);
  }
  return 0;
}
