#pragma once
// Pure encoder for `__consumer_offsets` records: the inverse of decode.hpp. Used by round-trip
// tests, benchmarks, replay tools and integration tests that write hand-made commit records into
// an ordinary topic standing in for the offsets topic.
//
// Contract
// - PURE, any thread. Output is owned (std::vector<std::byte>); nothing points into the inputs.
// - The layout is chosen by the version fields of the input structs (offset_commit::key_version
//   and ::value_version, group_metadata::value_version, member::assignment_version). Fields a
//   version does not carry are not written (e.g. leader_epoch before v3, expire_timestamp outside
//   v1, current_state_timestamp before v2, group_instance_id before v3, rebalance_timeout
//   before v1).
// - A tombstone is a key with NO value: encode(offset_tombstone) / encode(group_tombstone)
//   return an encoded_record whose value is std::nullopt; the producer must send a null value.
// - Flexible versions (value v4) are written with compact lengths and empty tagged-field
//   sections.
// - Programmer errors throw std::invalid_argument: a version outside the known range, an
//   offset-commit key version other than 0/1, a string longer than 32767 bytes, a negative
//   assignment version passed to encode_assignment. Nullable fields (protocol, leader,
//   group_instance_id, user_data) are nullable in every version, so nullopt is always writable.
// - member assignments: when member::assignment_version >= 0 the assignment is encoded from
//   member::assignment and member::user_data as a ConsumerProtocolAssignment of that version
//   (versions above 3 use the v3 layout); otherwise member::assignment_bytes is written as is.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "service/offsets/decode.hpp"

namespace warren::offsets {

using byte_buffer = std::vector<std::byte>;

/// A record ready to produce: key bytes and, unless it is a tombstone, value bytes.
struct encoded_record {
  byte_buffer key;
  std::optional<byte_buffer> value;  ///< std::nullopt = produce a null value (tombstone)
};

/// Offset-commit key; key_version 0 (legacy) or 1.
[[nodiscard]] byte_buffer encode_offset_commit_key(std::string_view group, std::string_view topic,
                                                   std::int32_t partition,
                                                   std::int16_t key_version = key_offset_commit);
/// Offset-commit value of version c.value_version (0..4).
[[nodiscard]] byte_buffer encode_offset_commit_value(const offset_commit& c);

/// Group-metadata key (record type 2).
[[nodiscard]] byte_buffer encode_group_metadata_key(std::string_view group);
/// Group-metadata value of version g.value_version (0..4), members and assignments included.
[[nodiscard]] byte_buffer encode_group_metadata_value(const group_metadata& g);

/// ConsumerProtocolAssignment bytes (int16 version, topics, nullable user data).
[[nodiscard]] byte_buffer encode_assignment(std::int16_t version,
                                            std::span<const topic_assignment> topics,
                                            std::optional<std::span<const std::byte>> user_data);

[[nodiscard]] encoded_record encode(const offset_commit& c);
[[nodiscard]] encoded_record encode(const offset_tombstone& t);
[[nodiscard]] encoded_record encode(const group_metadata& g);
[[nodiscard]] encoded_record encode(const group_tombstone& t);

}  // namespace warren::offsets
