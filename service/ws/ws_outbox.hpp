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
// A batch (the changes of one hub turn, shared by every client that wants all of them) queued into
// an empty outbox is one entry, however many changes it holds: the hub's fan-out then costs one
// push per client per turn, not one per client per change. Its changes are indexed for coalescing
// only when something needs the index (a later change pushed before the writer took the batch, an
// unsubscribe): the batch is then expanded into single entries, coalescing as if pushed one by one.
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

/// Changes announced in one hub turn, in order, built once per detail level and shared by every
/// client that wants all of them at that level (immutable once queued).
struct change_batch {
  std::vector<std::shared_ptr<const change_payload>> changes;
  std::size_t bytes = 0;  ///< what the changes count against a byte bound (their costs summed)
  void add(std::shared_ptr<const change_payload> c);
};

struct outbox_entry {
  std::string_view type;                         ///< string literal
  std::shared_ptr<const change_payload> change;  ///< status/removed; null for control messages
  std::string body;                              ///< control messages
  /// A batch entry: the batch's changes from `pos` on (type, change and body unused). take() and
  /// take_front() hand its changes out as single entries.
  std::shared_ptr<const change_batch> batch;
  std::size_t pos = 0;
  const std::string& text_body() const { return change ? change->body : body; }
  /// Messages the entry holds.
  std::size_t messages() const { return batch ? batch->changes.size() - pos : 1; }
  /// What the entry counts against the outbox's byte bound (a batch's: summed, not kept, so that
  /// 10 000 outboxes of 1 024 entries stay small).
  std::size_t cost() const {
    if (!batch) return text_body().size() + head_bytes;
    std::size_t sum = 0;
    for (std::size_t i = pos; i < batch->changes.size(); ++i) sum += cost_of(*batch->changes[i]);
    return sum;
  }
  static constexpr std::size_t head_bytes = 32;  ///< about `{"type":"status","seq":123456`
  static std::size_t cost_of(const change_payload& c) { return c.body.size() + head_bytes; }
};

enum class push_result : std::uint8_t { queued, coalesced, full };

/// What push_batch did: `queued` when at least one change was queued, `coalesced` when every one
/// replaced a queued change, `full` when a change was refused (those before it are kept);
/// `coalesced_count` changes replaced queued ones.
struct batch_push {
  push_result result = push_result::coalesced;
  std::size_t coalesced_count = 0;
};

class ws_outbox {
 public:
  explicit ws_outbox(std::size_t capacity, std::size_t byte_capacity = static_cast<std::size_t>(-1))
      : capacity_(capacity == 0 ? 1 : capacity), byte_capacity_(byte_capacity == 0 ? 1 : byte_capacity) {}

  push_result push_change(std::shared_ptr<const change_payload> change);
  /// Queues every change of `batch`, in order: as one entry when the outbox is empty and the batch
  /// is within both bounds, else one by one as push_change does (stopping at the first refused).
  batch_push push_batch(const std::shared_ptr<const change_batch>& batch);
  /// `barrier`: stop coalescing into entries queued so far (used for snapshots).
  push_result push_control(std::string_view type, std::string body, bool barrier = false);
  /// Queues regardless of the bound (the final slow_client / shutdown error before a close).
  void push_final(std::string_view type, std::string body);

  bool empty() const { return entries_.empty(); }
  /// Queued messages (a batch entry counts its changes).
  std::size_t size() const { return messages_; }
  std::size_t capacity() const { return capacity_; }
  /// Bytes of queued message text (bodies plus a head's worth per message).
  std::size_t bytes() const { return bytes_; }
  std::size_t byte_capacity() const { return byte_capacity_; }
  /// Whether the last refused push hit the byte bound (rather than the message bound).
  bool bytes_full() const { return bytes_full_; }
  /// Removes and returns the first message (what the writer sends next; never a batch entry).
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
  using index_map = std::unordered_map<std::string_view, std::uint64_t>;
  /// The queued entry `it` names takes `change`'s place (coalescing).
  void replace(index_map::iterator it, std::shared_ptr<const change_payload> change);
  /// Appends a change, coalescing into a queued entry of its group after the barrier; no bound.
  push_result append_change(std::shared_ptr<const change_payload> change);
  /// Expands the batch entries after the barrier into single, indexed entries (coalescing).
  void index_batches();
  void drop_front_entry();
  std::size_t capacity_;
  std::size_t byte_capacity_;
  std::size_t bytes_ = 0;
  std::size_t messages_ = 0;
  bool bytes_full_ = false;
  bool unindexed_ = false;  // a batch entry after the barrier: its changes are not in index_
  std::deque<outbox_entry> entries_;
  std::uint64_t base_ = 0;  // absolute index of entries_.front()
  std::uint64_t barrier_ = 0;  // entries below this absolute index are not coalesced into
  index_map index_;  // key (into the entry's payload) → absolute index
};

/// The coalescing key of (cluster, group).
std::string change_key(std::string_view cluster, std::string_view group);
/// The group of a key.
std::string_view key_group(std::string_view key);
std::string_view key_cluster(std::string_view key);

}  // namespace warren::ws
