#pragma once
// ws_outbox: one WebSocket client's bounded queue of server messages, PURE (no sockets, no clock).
// Status and removed messages coalesce: a newer change of a group replaces the one still queued
// for that group, in place (the latest state wins; a client never sees an older state after a
// newer one). Control messages (hello, snapshot, pong, error, unsubscribed) never coalesce. A
// snapshot is a barrier: changes queued before it are no longer replaced, so a change queued
// after a snapshot is always sent after it. Two bounds: queued messages after coalescing, and
// queued bytes (each message's text, shared bodies counted in full, so one client's share of memory
// is bounded whatever the message sizes); an empty outbox takes one message whatever its size. A
// push that would pass either bound is refused and the caller closes the client as too slow.
// Owned by one session, used on the io thread.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace warren::ws {

/// The body of a status or removed message for one change, built once and shared by every client
/// that gets it (immutable; single-threaded ownership, not synchronisation).
struct change_payload {
  std::string key;        ///< cluster '\0' group: the coalescing key
  std::string_view type;  ///< "status" or "removed" (string literal)
  std::string body;       ///< see ws_protocol.hpp: `,…}`
};

struct outbox_entry {
  std::string_view type;                         ///< string literal
  std::shared_ptr<const change_payload> change;  ///< status/removed; null for control messages
  std::string body;                              ///< control messages
  const std::string& text_body() const { return change ? change->body : body; }
  /// What the entry counts against the outbox's byte bound.
  std::size_t cost() const { return text_body().size() + head_bytes; }
  static constexpr std::size_t head_bytes = 32;  ///< about `{"type":"status","seq":123456`
};

enum class push_result : std::uint8_t { queued, coalesced, full };

class ws_outbox {
 public:
  explicit ws_outbox(std::size_t capacity, std::size_t byte_capacity = static_cast<std::size_t>(-1))
      : capacity_(capacity == 0 ? 1 : capacity), byte_capacity_(byte_capacity == 0 ? 1 : byte_capacity) {}

  push_result push_change(std::shared_ptr<const change_payload> change);
  /// `barrier`: stop coalescing into entries queued so far (used for snapshots).
  push_result push_control(std::string_view type, std::string body, bool barrier = false);
  /// Queues regardless of the bound (the final slow_client / shutdown error before a close).
  void push_final(std::string_view type, std::string body);

  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }
  std::size_t capacity() const { return capacity_; }
  /// Bytes of queued message text (bodies plus a head's worth per message).
  std::size_t bytes() const { return bytes_; }
  std::size_t byte_capacity() const { return byte_capacity_; }
  /// Whether the last refused push hit the byte bound (rather than the message bound).
  bool bytes_full() const { return bytes_full_; }
  outbox_entry& front() { return entries_.front(); }
  void pop_front();
  /// Removes and returns the first entry (what the writer sends next).
  outbox_entry take_front();
  /// Moves the first entries into `out` (appended) for one write: at least one when not empty,
  /// then more while fewer than `max_messages` are taken and their bytes stay within `max_bytes`.
  /// Returns how many were taken.
  std::size_t take(std::vector<outbox_entry>& out, std::size_t max_messages, std::size_t max_bytes);
  /// Drops everything; returns how many messages were dropped.
  std::size_t clear();
  /// Drops queued changes whose key fails `keep`; returns how many.
  std::size_t remove_changes_if(const std::function<bool(std::string_view key)>& drop);

 private:
  void reindex();
  bool room_for(std::size_t more);
  std::size_t capacity_;
  std::size_t byte_capacity_;
  std::size_t bytes_ = 0;
  bool bytes_full_ = false;
  std::deque<outbox_entry> entries_;
  std::uint64_t base_ = 0;  // absolute index of entries_.front()
  std::uint64_t barrier_ = 0;  // entries below this absolute index are not coalesced into
  std::unordered_map<std::string_view, std::uint64_t> index_;  // key (into the entry's payload) → absolute index
};

/// The coalescing key of (cluster, group).
std::string change_key(std::string_view cluster, std::string_view group);
/// The group of a key.
std::string_view key_group(std::string_view key);
std::string_view key_cluster(std::string_view key);

}  // namespace warren::ws
