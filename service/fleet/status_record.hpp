#pragma once
// status_record (issue 14 parts 2 and 3): the records of Warren's compacted status topic, PURE (no
// Kafka, no clock, any thread). One record per consumer group, written by the instance that owns
// the group (the owner of its offsets-topic partition) and read by every instance of the fleet:
//   key   = the group name (UTF-8 bytes)
//   value = {"v":2,"owner":{"id":ID,"url":URL},"evaluated_at":MS,"status":STATUS,"notifier":N}
//           STATUS = the Burrow `/status` object exactly as the owner renders it (only the
//           partitions above OK, Burrow's showAll=false; maxlag, totallag, partition_count and
//           Warren's time-lag `warren` objects as in `/lag`), kept byte for byte. A few hundred
//           bytes for a healthy group whatever its partition count, so that what every instance
//           reads and holds grows with the groups of the fleet, not with their partitions; `/lag`
//           (all partitions) of a group owned elsewhere is forwarded to the owner. Version 1
//           records (STATUS = the `/lag` object, all partitions) are still read;
//           N = {"incident":null|{"id":ID,"start":MS},"last_notify":{MODULE:MS,...}}: the owner's
//           notifier state of the group, adopted by the next owner (notify once across the fleet).
//   null  = tombstone: the owner removed the group (deleted, expired). Losing the partition is not
//           a removal: the next owner's record replaces this one.
// decode() never throws and never trusts its input (fuzz target: tests/fuzz): garbage is
// rejected with a reason, which the reader counts.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "service/evaluator/rules.hpp"

namespace warren::fleet {

/// The instance that wrote a record: its id (advertised host:port) and advertised base URL.
struct owner_ref {
  std::string id;
  std::string url;
  friend bool operator==(const owner_ref&, const owner_ref&) = default;
};

/// The notifier's state of a group as published (module indexes become module names).
struct notifier_record {
  struct open_incident {
    std::string id;
    std::int64_t start_ms = 0;
    friend bool operator==(const open_incident&, const open_incident&) = default;
  };
  std::optional<open_incident> incident;
  std::vector<std::pair<std::string, std::int64_t>> last_notify;  ///< module name -> Unix ms, sorted by name
  friend bool operator==(const notifier_record&, const notifier_record&) = default;
};

/// A decoded (or to be encoded) status record.
struct status_record {
  std::string group;
  owner_ref owner;
  std::int64_t evaluated_at = 0;  ///< Unix ms
  std::string status_json;        ///< the status object, raw: `/status` (v2) or `/lag` (v1, all_partitions)
  notifier_record notifier;
  bool all_partitions = false;    ///< status_json holds every partition (a version 1 record)
  friend bool operator==(const status_record&, const status_record&) = default;
};

/// The value bytes of `r`: version 2, or 1 when r.all_partitions (r.status_json must be a JSON
/// object; it is embedded as is).
std::string encode_value(const status_record& r);

enum class decode_error : std::uint8_t {
  empty_key = 0,    ///< no group name
  not_json,         ///< the value does not parse, or nests too deep
  not_object,       ///< the value or a member that must be an object is not one
  bad_version,      ///< "v" missing or not 1 or 2
  missing_field,    ///< a required member is absent
  bad_field,        ///< a member has the wrong type or range
  group_mismatch,   ///< status.group differs from the key
  bad_status,       ///< status.status is not a Burrow status name, or partitions are malformed
};
inline constexpr std::size_t decode_error_count = 8;
std::string_view to_string(decode_error e);

/// What the reader keeps of a record beyond its raw status: enough for lists and for `/status`.
struct decoded_record {
  status_record record;
  status_code status = status_code::notfound;  ///< status.status
  std::uint64_t totallag = 0;                  ///< status.totallag
  /// The `/status` answer's object: the `/lag` one with only the partitions above OK (Burrow's
  /// showAll=false), same bytes otherwise.
  std::string problems_json;
  /// A fingerprint of the partition count and of every partition above OK (topic, partition,
  /// status): two records of a group with the same status and shape differ only in lag or time
  /// (the stream sends a change otherwise). The same for a v1 and a v2 record of one status.
  std::uint64_t shape = 0;
};
struct tombstone {
  std::string group;
};
using decoded = std::variant<decoded_record, tombstone, decode_error>;

/// Decodes one record. `value` nullopt = a null value (tombstone).
decoded decode(std::span<const std::byte> key, std::optional<std::span<const std::byte>> value);

/// The status object with Warren's owner fields: `"owner":ID,"owner_url":URL` appended to its
/// trailing `warren` object when it has one, else a `"warren":{...}` member holding only them is
/// appended. `status_json` must be a JSON object as Warren renders it (not validated again).
std::string with_owner(std::string_view status_json, const owner_ref& owner);

/// The status object keeping only the partitions whose status is above OK. Returns nullopt when
/// `status_json` is not an object with a well-formed `partitions` array.
std::optional<std::string> problems_only(std::string_view status_json);

/// The status object with an empty `partitions` array (the stream's summary detail), same bytes
/// otherwise. Returns nullopt like problems_only().
std::optional<std::string> summary_only(std::string_view status_json);

}  // namespace warren::fleet
