#pragma once
// A group_status packed for keeping (issue 12): the evaluator keeps every group's last status, and
// as plain structs that cost 336 bytes per partition (three std::strings, two optional samples, the
// time-lag object), as much again as the store's window. Packed, a partition takes about 40-70
// bytes: strings (topics, owners, client ids) are written once per status and then referred to by
// index, integers are varints, offsets and times are deltas from their neighbours, absent optionals
// are a bit. PURE plain data, deterministic (equal statuses pack to equal bytes), not thread-safe.
//
// The evaluation time (group warren.evaluated_at) is kept beside the bytes, not in them, so two
// evaluations that differ only in when they ran pack to the same bytes (same_content).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "service/evaluator/rules.hpp"

namespace warren {

/// One partition of a packed status read in place (issue 12: what the per-partition /metrics
/// families read, without unpack()'s string copies): partition_status with its strings pointing
/// into the packed bytes, valid while that packed status is unchanged.
struct partition_fields {
  std::string_view topic;
  std::int32_t partition = 0;
  std::string_view owner, client_id;
  status_code status = status_code::ok;
  std::optional<consumer_offset> start, end;
  std::uint64_t current_lag = 0;
  float complete = 0.0f;
  std::optional<partition_time_lag> warren;
};

class packed_status {
 public:
  packed_status() = default;

  /// The group's status code (unpacked without decoding).
  status_code status() const { return status_; }
  /// The group's warren.evaluated_at (0 when the status has no warren object).
  std::int64_t evaluated_at() const { return evaluated_at_; }
  /// True when both hold the same status in every field but warren.evaluated_at.
  bool same_content(const packed_status& o) const { return bytes_ == o.bytes_; }
  /// Bytes this status holds on the heap (what the evaluator reports as kept).
  std::size_t heap_bytes() const { return bytes_.capacity() > 15 ? bytes_.capacity() + 1 : 0; }
  std::size_t size() const { return bytes_.size(); }

 private:
  friend class status_packer;
  std::string bytes_;
  std::int64_t evaluated_at_ = 0;  ///< group warren.evaluated_at (when the status has a warren object)
  status_code status_ = status_code::notfound;
};

/// Packs and unpacks; keeps scratch between calls (one per evaluator). `cluster` and `group` are not
/// packed: the evaluator keeps them as its map keys and passes them back to unpack().
class status_packer {
 public:
  /// Packs `s` (its cluster and group are ignored) into `out`, reusing its capacity when the size
  /// fits and shrinking it when the status got much smaller.
  void pack(const group_status& s, packed_status& out);
  /// Fills `out` with exactly the status that was packed (operator== holds), with `cluster` and
  /// `group` as given. `out`'s capacity is reused. Without `with_partitions`, everything but the
  /// partitions (left empty; partition_count, maxlag and the group's warren object are there): what
  /// the group-level /metrics families read, at a fraction of the cost.
  void unpack(const packed_status& p, std::string_view cluster, std::string_view group, group_status& out,
              bool with_partitions = true) const;
  /// Like unpack(…, false), with the partitions read in place into `partitions` (capacity reused).
  void unpack(const packed_status& p, std::string_view cluster, std::string_view group, group_status& out,
              std::vector<partition_fields>& partitions) const;
  // Unpacking keeps only its string table here: const, and safe to call from callbacks of a walk
  // that unpacks (each unpack finishes before the next starts).

 private:
  struct writer;
  struct decoder;
  std::string scratch_;
  std::unordered_map<std::string_view, std::uint32_t> strings_;  ///< string → index, per pack
  mutable std::vector<std::string_view> table_;                   ///< index → string, per unpack
};

}  // namespace warren
