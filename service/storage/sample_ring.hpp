#pragma once
// The per-partition window of stored commits: consumer_offset and its compact ring codec. PURE plain
// data, not thread-safe (owned by cluster_state, used from the io thread only).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace warren {

/// One stored commit (Burrow ConsumerOffset). JSON: {offset, timestamp, observedAt, lag}; `order` is internal.
struct consumer_offset {
  std::int64_t offset = 0;
  std::int64_t order = 0;        ///< commit order: the record's offset in the offsets topic
  std::int64_t timestamp = 0;    ///< commit timestamp, ms (from Kafka)
  std::int64_t observed_at = 0;  ///< when Warren stored it, ms
  std::optional<std::uint64_t> lag;  ///< set on append only (Burrow b.4); null for backfilled commits
  friend bool operator==(const consumer_offset&, const consumer_offset&) = default;
};

namespace detail {

/// A window of at most `capacity` consumer_offsets in ONE heap block (32-byte header + samples), no
/// per-sample allocation. Samples are 20 bytes: offset, order, timestamp and observed_at as 32-bit
/// deltas from per-ring bases, lag as 32 bits (null = a sentinel). The ring re-encodes itself with
/// 40-byte samples when its timestamps span more than 2^32 ms (~49 days), its orders or offsets more
/// than 2^32, or a lag reaches 2^32 − 1, and back when they no longer do. Logical index 0 is the
/// oldest sample.
class sample_ring {
 public:
  sample_ring() = default;
  ~sample_ring();
  sample_ring(sample_ring&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
  sample_ring& operator=(sample_ring&& other) noexcept;
  sample_ring(const sample_ring&) = delete;
  sample_ring& operator=(const sample_ring&) = delete;

  bool allocated() const { return block_ != nullptr; }
  void allocate(std::size_t capacity);  ///< empty ring; no-op when already allocated
  std::size_t capacity() const;
  std::size_t size() const;
  bool full() const { return size() == capacity(); }
  consumer_offset at(std::size_t i) const;
  void push_back(const consumer_offset& s);   ///< the oldest falls off when full
  void push_front(const consumer_offset& s);  ///< requires !full()
  void insert(std::size_t i, const consumer_offset& s);  ///< before logical i; oldest falls off when full
  void assign(std::size_t i, const consumer_offset& s);
  bool wide() const;
  std::size_t heap_bytes() const;

 private:
  void rebuild(const std::vector<consumer_offset>& all);
  std::size_t physical(std::size_t i) const;
  bool fits(const consumer_offset& s) const;
  void put(std::size_t slot, const consumer_offset& s);
  std::vector<consumer_offset> all() const;

  std::byte* block_ = nullptr;
};

}  // namespace detail
}  // namespace warren
