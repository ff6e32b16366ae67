#pragma once
// Warren's held-commits buffer: commits and owners for topic-partitions that broker data does not
// know yet (Burrow drops them, reference §h.6), kept bounded until they resolve or age out. PURE
// plain data, not thread-safe (owned by cluster_state, used from the io thread only).
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace warren::detail {

/// A commit or an owner held until its topic-partition has broker data.
struct held_entry {
  bool is_commit = true;  ///< false: an owner (owner, client_id); true: a commit (offset, order, timestamp)
  std::string group;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int64_t order = 0;
  std::int64_t timestamp = 0;  ///< commit timestamp, ms
  std::string owner;
  std::string client_id;
  std::int64_t held_since = 0;  ///< ms
};

/// Held entries per topic, in arrival order, at most `per_topic` per topic and `total` over all topics.
class pending_buffer {
 public:
  pending_buffer(std::size_t per_topic, std::size_t total) : per_topic_(per_topic), total_(total) {}

  /// Holds `e` for `topic`. At a cap, makes room by dropping this topic's oldest entry; when the topic
  /// holds nothing to drop, `e` is not held and false is returned. Every entry lost counts in dropped().
  bool hold(std::string_view topic, held_entry e);
  /// Calls `apply(entry)` on every entry held for `topic`, oldest first; the entries for which it
  /// returns true leave the buffer (not counted as dropped), the others stay, in order. `apply` must
  /// not use this buffer.
  template <class Apply>
  void release(std::string_view topic, Apply&& apply);
  /// Drops the entries held for one (group, topic, partition). True when there were any.
  bool erase_partition(std::string_view topic, std::string_view group, std::int32_t partition);
  /// Drops the owners held for `group` on any topic (its commits stay). Returns how many.
  std::size_t erase_owners(std::string_view group);
  /// Drops everything held for `topic` (not counted as dropped).
  void erase_topic(std::string_view topic);
  /// Drops the entries held since before `held_before` (ms); they count in dropped().
  void expire(std::int64_t held_before);

  std::size_t size() const { return size_; }
  std::uint64_t dropped() const { return dropped_; }

 private:
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  using topic_map = std::unordered_map<std::string, std::deque<held_entry>, string_hash, std::equal_to<>>;

  std::size_t per_topic_;
  std::size_t total_;
  topic_map by_topic_;
  std::size_t size_ = 0;
  std::uint64_t dropped_ = 0;
};

template <class Apply>
void pending_buffer::release(std::string_view topic, Apply&& apply) {
  auto it = by_topic_.find(topic);
  if (it == by_topic_.end()) return;
  auto& held = it->second;
  std::deque<held_entry> keep;
  for (auto& e : held) {
    if (apply(e)) {
      --size_;
    } else {
      keep.push_back(std::move(e));
    }
  }
  if (keep.empty()) {
    by_topic_.erase(it);
  } else {
    held = std::move(keep);
  }
}

}  // namespace warren::detail
