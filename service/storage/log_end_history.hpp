#pragma once
// The per-partition history of log-end offsets for lag in seconds (issue 11, peers.md A.2/A.5):
// points (log-end offset, wall time it was observed), oldest → newest, offsets non-decreasing and
// times strictly increasing. PURE plain data, fixed size (no heap), not thread-safe (owned by
// cluster_state, io thread only).
//
// Every point is a true observation "the log end was `offset` at `time`", so the record at offset
// C was appended after the newest point with offset ≤ C and no later than the next point: any
// two adjacent points bracket the append time of the offsets between them, whatever points were
// dropped in between (evaluator/time_lag.hpp relies on this).
//
// What add() keeps (capacity 15 points, 144 bytes):
// - a plateau (log end unchanged) is two points, its first and its latest sighting: a third equal
//   sample moves the newest point's time (kafka-lag-exporter's rule);
// - an offset below the newest (topic recreated or truncated) restarts the history;
// - when full, one interior point is dropped: the one whose removal widens its bracket least
//   relative to the age of the records in it, so recent history stays at poll resolution and old
//   history thins out geometrically instead of falling off (the oldest point is kept: it anchors the
//   lower bound for older offsets);
// - points are stored as 32-bit deltas from the oldest; a point more than 2^32 records or
//   ~49.7 days after the oldest drops the oldest points until it fits.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace warren {

/// One observation: the log end was `offset` at `time_ms` (wall clock, ms since the epoch).
struct history_point {
  std::int64_t offset = 0;
  std::int64_t time_ms = 0;
  friend bool operator==(const history_point&, const history_point&) = default;
};

namespace detail {

class log_end_history {
 public:
  static constexpr std::size_t capacity = 15;

  /// Adds an observation (see above). Times not after the newest point are ignored.
  void add(std::int64_t offset, std::int64_t time_ms);
  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  history_point at(std::size_t i) const {
    return {base_offset_ + static_cast<std::int64_t>(d_offset_[i]), base_time_ + static_cast<std::int64_t>(d_time_[i])};
  }
  history_point newest() const { return at(count_ - 1); }
  /// Appends every point, oldest first.
  void copy_to(std::vector<history_point>& out) const;
  void clear() { count_ = 0; }

 private:
  void drop_oldest(std::size_t n);
  void remove_at(std::size_t i);
  bool fits(std::int64_t offset, std::int64_t time_ms) const;
  void put(std::size_t i, std::int64_t offset, std::int64_t time_ms);

  std::int64_t base_offset_ = 0;
  std::int64_t base_time_ = 0;
  std::uint32_t d_offset_[capacity] = {};
  std::uint32_t d_time_[capacity] = {};
  std::uint8_t count_ = 0;
};
static_assert(sizeof(log_end_history) == 144);

}  // namespace detail
}  // namespace warren
