#pragma once
// Pure decoder for records of Kafka's `__consumer_offsets` topic: bytes in, one record variant out.
//
// Contract
// - PURE: no I/O, no Asio, no librdkafka, no global state; callable from any thread.
// - ZERO-COPY: every std::string_view / std::span in a result points into the key or value buffer
//   passed to decode(). The caller keeps both buffers alive while it uses the result.
// - TOTAL: any input, however corrupt, yields a value of `decoded`; decode() never reads outside
//   the given buffers, never throws (allocation failure becomes error_reason::allocation_failed)
//   and never aborts. Malformed input is a decode_error with one error_reason.
// - FAST: the offset-commit path does not allocate. Group-metadata records allocate their member
//   and assignment vectors; array counts are checked against the bytes left before reserving, so
//   an allocation is never larger than a small multiple of the input size.
//
// The wire formats, the versions accepted and every leniency/strictness choice are described in
// proto/kafka/consumer_offsets.md (and machine-readably in proto/kafka/consumer_offsets.tsv).
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

namespace warren::offsets {

/// Key "version" = Kafka's coordinator record type (the int16 every key starts with).
inline constexpr std::int16_t key_offset_commit_legacy = 0;  // LegacyOffsetCommitKey
inline constexpr std::int16_t key_offset_commit = 1;         // OffsetCommitKey
inline constexpr std::int16_t key_group_metadata = 2;        // GroupMetadataKey (classic groups)
/// Record types 3..24 are the KIP-848 consumer-group, KIP-932 share-group and KIP-1071
/// streams-group record kinds: recognised and reported as other_record.
inline constexpr std::int16_t key_other_first = 3;
inline constexpr std::int16_t key_other_last = 24;

inline constexpr std::int16_t offset_commit_value_max_version = 4;   // v4 = first flexible
inline constexpr std::int16_t group_metadata_value_max_version = 4;  // v4 = first flexible
inline constexpr std::int16_t assignment_max_version = 3;            // ConsumerProtocolAssignment

/// An offset commit (key type 0 or 1 with a value).
struct offset_commit {
  std::string_view group;
  std::string_view topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int32_t leader_epoch = -1;  ///< value v3+; -1 when the version has no such field
  std::string_view metadata;
  std::int64_t commit_timestamp = 0;   ///< ms since epoch
  std::int64_t expire_timestamp = -1;  ///< value v1 only; -1 when absent
  std::int16_t key_version = key_offset_commit;
  std::int16_t value_version = 0;
};

/// An offset-commit key with a null value: the committed offset was deleted (expired,
/// DeleteConsumerGroupOffsets, DeleteGroups).
struct offset_tombstone {
  std::string_view group;
  std::string_view topic;
  std::int32_t partition = 0;
  std::int16_t key_version = key_offset_commit;
};

/// One topic of a ConsumerProtocolAssignment.
struct topic_assignment {
  std::string_view topic;
  std::vector<std::int32_t> partitions;
};

/// One member of a classic group (GroupMetadataValue.MemberMetadata).
struct member {
  std::string_view member_id;
  std::optional<std::string_view> group_instance_id;  ///< value v3+, nullable; nullopt = none
  std::string_view client_id;
  std::string_view client_host;
  std::int32_t rebalance_timeout = -1;  ///< value v1+; -1 when absent
  std::int32_t session_timeout = 0;
  std::span<const std::byte> subscription;      ///< raw ConsumerProtocolSubscription bytes
  std::span<const std::byte> assignment_bytes;  ///< raw assignment bytes, always kept
  /// Decoded ConsumerProtocolAssignment version; -1 when not decoded (protocol type other than
  /// "consumer", or empty assignment bytes, which the coordinator writes during a rebalance).
  std::int16_t assignment_version = -1;
  std::vector<topic_assignment> assignment;  ///< empty when not decoded
  std::optional<std::span<const std::byte>> user_data;  ///< nullopt = null user data
};

/// A classic group's metadata (key type 2 with a value).
struct group_metadata {
  std::string_view group;
  std::int16_t value_version = 0;
  std::string_view protocol_type;  ///< "consumer", "connect", ... (may be empty)
  std::int32_t generation = 0;
  std::optional<std::string_view> protocol;  ///< nullable
  std::optional<std::string_view> leader;    ///< nullable
  std::int64_t current_state_timestamp = -1;  ///< value v2+; -1 when absent
  std::vector<member> members;
};

/// A group-metadata key with a null value: the classic group was deleted.
struct group_tombstone {
  std::string_view group;
};

/// A record kind Kafka defines but Warren does not use (key types 3..24: consumer/share/streams
/// group records of the new coordinator). `group` is the key's leading GroupId string, or empty
/// when the key body cannot be read (the body is not validated: these records are skipped).
struct other_record {
  std::int16_t key_version = 0;
  std::string_view group;
  bool tombstone = false;
};

/// Why a record could not be decoded. One metrics counter per reason.
enum class error_reason : std::uint8_t {
  truncated,              ///< input ended inside a fixed-size field (or value present but empty)
  negative_length,        ///< a string/bytes/array length below -1
  length_too_large,       ///< a length/count larger than the bytes left
  unexpected_null,        ///< null (-1 / compact 0) in a non-nullable string, bytes or array
  bad_varint,             ///< unsigned varint longer than 5 bytes or over 32 bits
  trailing_bytes,         ///< bytes left after a fully parsed key or value of a known version
  unknown_key_version,    ///< record type Kafka does not define (< 0 or > key_other_last)
  unknown_value_version,  ///< value version outside the known range for its record kind
  bad_assignment,         ///< a "consumer" member's assignment bytes are not a valid assignment
  allocation_failed,      ///< std::bad_alloc while building member/assignment vectors
};

inline constexpr std::size_t error_reason_count = 10;
static_assert(static_cast<std::size_t>(error_reason::allocation_failed) + 1 == error_reason_count,
              "error_reason_count must follow the last enumerator");

/// Stable snake_case name (used as a metrics label).
constexpr std::string_view to_string(error_reason r) noexcept {
  switch (r) {
    case error_reason::truncated: return "truncated";
    case error_reason::negative_length: return "negative_length";
    case error_reason::length_too_large: return "length_too_large";
    case error_reason::unexpected_null: return "unexpected_null";
    case error_reason::bad_varint: return "bad_varint";
    case error_reason::trailing_bytes: return "trailing_bytes";
    case error_reason::unknown_key_version: return "unknown_key_version";
    case error_reason::unknown_value_version: return "unknown_value_version";
    case error_reason::bad_assignment: return "bad_assignment";
    case error_reason::allocation_failed: return "allocation_failed";
  }
  return "unknown";
}

/// Every reason, in enum order (for metrics registration and tests).
inline constexpr std::array<error_reason, error_reason_count> all_error_reasons{
    error_reason::truncated,           error_reason::negative_length,
    error_reason::length_too_large,    error_reason::unexpected_null,
    error_reason::bad_varint,          error_reason::trailing_bytes,
    error_reason::unknown_key_version, error_reason::unknown_value_version,
    error_reason::bad_assignment,      error_reason::allocation_failed,
};

/// Which buffer a decode_error was found in.
enum class record_part : std::uint8_t { key, value };

struct decode_error {
  error_reason reason = error_reason::truncated;
  record_part part = record_part::key;
  std::size_t position = 0;         ///< byte offset in that part where the problem was found
  std::int16_t key_version = -1;    ///< -1 when not read
  std::int16_t value_version = -1;  ///< -1 when not read
};

using decoded = std::variant<offset_commit, offset_tombstone, group_metadata, group_tombstone,
                             other_record, decode_error>;

/// Decodes one `__consumer_offsets` record. `value` is std::nullopt for a null value (a
/// tombstone); a present but empty value is NOT a tombstone and decodes to error truncated.
/// Never throws.
[[nodiscard]] decoded decode(std::span<const std::byte> key,
                             std::optional<std::span<const std::byte>> value) noexcept;

/// Decodes a ConsumerProtocolAssignment (int16 version, topics, user data) into `out`.
/// Versions 0..3 must be consumed exactly; a higher version is read with the v3 layout and
/// trailing bytes are allowed (the protocol's forward-compatibility rule). Returns the version,
/// or std::nullopt when the bytes are malformed (then `out` is unspecified). May throw
/// std::bad_alloc.
[[nodiscard]] std::optional<std::int16_t> decode_assignment(
    std::span<const std::byte> bytes, std::vector<topic_assignment>& out,
    std::optional<std::span<const std::byte>>& user_data);

}  // namespace warren::offsets
