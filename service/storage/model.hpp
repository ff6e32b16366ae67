#pragma once
// Storage model: the offsets state of ONE Kafka cluster, as plain data (Burrow's inmemory storage,
// reference §c). PURE: no I/O, no clock, no threads; every time-dependent call takes `now`.
// Not thread-safe: the offset_store actor owns one cluster_state per cluster and calls it from
// the io thread only. Views and string_views handed out stay valid until the next mutation.
// Its parts: sample_ring.hpp (the per-partition commit window), string_pool.hpp (owners and client
// ids), pending.hpp (commits held until broker data knows their partition).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "service/core/ids.hpp"
#include "service/storage/log_end_history.hpp"
#include "service/storage/pending.hpp"
#include "service/storage/sample_ring.hpp"
#include "service/storage/string_pool.hpp"

namespace warren {

/// Storage settings (Burrow `[storage.*]`, plus Warren's pending buffer). Mapped by the config loader.
struct storage_options {
  /// Samples kept per partition: consumer commit window and broker log-end history (`intervals`, 1..4096).
  int intervals = 10;
  /// Commits older than this are dropped and groups silent for this long are expired (`expire-group`, s).
  std::int64_t expire_group_s = 604800;
  /// A commit closer than this to the previous one overwrites it (`min-distance`, s; 0 = only on clock skew).
  std::int64_t min_distance_s = 0;
  /// Groups must match this regex to be stored; empty = all (`group-allowlist`, ECMAScript, unanchored search).
  std::string group_allowlist;
  /// Groups matching this regex are not stored; empty = none (`group-denylist`).
  std::string group_denylist;
  /// Warren: commits/owners for topic-partitions not yet in broker data are held, at most this many per topic,
  std::size_t pending_per_topic = 10000;
  /// and this many over all topics,
  std::size_t pending_total = 100000;
  /// for at most this long (s); expire() drops older held entries.
  std::int64_t pending_max_age_s = 3600;
};

/// One broker log-end sample: (offset, when observed).
struct broker_sample {
  std::int64_t offset = 0;
  std::int64_t observed_at = 0;  ///< ms
  friend bool operator==(const broker_sample&, const broker_sample&) = default;
};

/// One partition of a group, as seen by the evaluator and the `/consumer/:group` handler.
struct partition_view {
  std::uint32_t topic = 0;     ///< index into group_view::topics
  std::int32_t partition = 0;
  std::string_view owner;      ///< "" when unknown
  std::string_view client_id;  ///< "" when unknown
  /// 0 = never touched (JSON `offsets: []`); otherwise `intervals`, and the JSON has
  /// `ring_length - window_size` leading nulls before the window.
  std::uint32_t ring_length = 0;
  std::uint32_t window_begin = 0;  ///< stored commits, oldest → newest, in group_view::samples
  std::uint32_t window_size = 0;
  std::uint32_t broker_begin = 0;  ///< broker log-end history, oldest → newest, in group_view::broker_offsets
  std::uint32_t broker_size = 0;
  /// max(0, newest broker offset − newest commit); 0 without a commit or a broker sample (Burrow b.4).
  std::uint64_t current_lag = 0;
  /// Warren (issue 11): the log-end history for lag in seconds, in group_view::history.
  std::uint32_t history_begin = 0;
  std::uint32_t history_size = 0;
  std::int64_t log_start = -1;  ///< the partition's log-start offset; −1 = not known
  /// The topic's retention.ms: −1 = infinite, retention_unknown = not known yet.
  std::int64_t retention_ms = -2;
};

/// partition_view::retention_ms before the topic's configuration was read.
inline constexpr std::int64_t retention_unknown = -2;

/// A group's whole state, flattened. Partitions are ordered by (topic name, partition).
struct group_view {
  std::int64_t last_commit = 0;  ///< ms
  std::vector<std::string_view> topics;  ///< sorted
  std::vector<partition_view> partitions;
  std::vector<consumer_offset> samples;
  std::vector<std::int64_t> broker_offsets;
  std::vector<history_point> history;

  std::span<const consumer_offset> window(const partition_view& p) const {
    return {samples.data() + p.window_begin, p.window_size};
  }
  std::span<const std::int64_t> broker(const partition_view& p) const {
    return {broker_offsets.data() + p.broker_begin, p.broker_size};
  }
  std::span<const history_point> log_end_history(const partition_view& p) const {
    return {history.data() + p.history_begin, p.history_size};
  }
  std::string_view topic(const partition_view& p) const { return topics[p.topic]; }
  /// Empties the view, keeping capacity (reuse one view for many groups).
  void clear() {
    last_commit = 0;
    topics.clear();
    partitions.clear();
    samples.clear();
    broker_offsets.clear();
    history.clear();
  }
};

/// A log-end offset from the cluster poller.
struct broker_offset_update {
  std::string_view topic;
  partition_id partition;
  std::int32_t partition_count = 0;  ///< the topic's full partition count from metadata
  offset_t offset;
};

/// A decoded offset commit.
struct commit_update {
  std::string_view group;
  std::string_view topic;
  partition_id partition;
  offset_t offset;
  std::int64_t order = 0;  ///< the record's offset in the offsets topic
  timestamp_ms timestamp;  ///< commit timestamp
};

/// An assignment from group metadata.
struct owner_update {
  std::string_view group;
  std::string_view topic;
  partition_id partition;
  std::string_view owner;  ///< client host, e.g. "/10.1.2.3"
  std::string_view client_id;
};

/// What add_commit did with a commit.
enum class commit_outcome : std::uint8_t {
  appended,          ///< newest commit: ring advanced, lag computed, last_commit set
  inserted,          ///< backfill into the window (lag null)
  merged,            ///< min-distance: overwrote the previous entry
  held,              ///< Warren: topic-partition not in broker data yet; held until it is
  dropped_expired,   ///< Burrow rule 2: older than expire-group
  dropped_filtered,  ///< Burrow rule 3: group allow/deny list
  dropped_invalid,   ///< negative partition
  dropped_backfill,  ///< Burrow rule 6: ring full and older than its oldest entry
  dropped_duplicate, ///< Burrow rule 6: same order already stored
  dropped_pending_full,  ///< Warren: pending buffer full
};
/// True when the group's stored state changed (the actor marks it dirty for the evaluator).
constexpr bool group_changed(commit_outcome o) {
  return o == commit_outcome::appended || o == commit_outcome::inserted || o == commit_outcome::merged;
}

namespace snapshot {
struct image;
struct partition_image;
}  // namespace snapshot

/// What cluster_state::import_snapshot restored (issue 14).
struct snapshot_import {
  std::size_t groups = 0;            ///< groups restored
  std::size_t skipped_filtered = 0;  ///< refused by today's group allow/deny lists
  std::size_t expired = 0;  ///< of `groups`, already expired at import time (expire() removes them)
};

/// The storage state of one cluster.
class cluster_state {
 public:
  /// Throws std::invalid_argument for intervals outside 1..4096 or a bad allow/deny pattern
  /// (core/pattern.hpp; start-up failure: the config loader validated both).
  explicit cluster_state(storage_options options);
  ~cluster_state();
  cluster_state(cluster_state&&) noexcept;
  cluster_state& operator=(cluster_state&&) noexcept;

  // ---- mutations ----------------------------------------------------------------------------

  /// Records a log-end sample; grows (never shrinks) the topic's partition count. Applies held
  /// commits/owners that became resolvable; the groups they changed are appended to
  /// `changed_groups` when given. Ignores partitions < 0 or ≥ max(known, given) count.
  void set_broker_offset(const broker_offset_update& u, timestamp_ms now,
                         std::vector<std::string>* changed_groups = nullptr);
  /// Warren (issue 11): the partition's log-start offset (ListOffsets earliest). Ignored for an
  /// unknown topic or a partition outside its count, and for offset < 0.
  void set_log_start(std::string_view topic, partition_id partition, offset_t offset);
  /// Warren (issue 11): the topic's retention.ms (−1 = infinite). Ignored for an unknown topic.
  void set_retention(std::string_view topic, std::int64_t retention_ms);
  /// Burrow addConsumerOffset rules 1–8 (reference §c), except that a commit for a topic-partition
  /// without broker data is held (bounded) instead of dropped (Burrow bug §h.6).
  commit_outcome add_commit(const commit_update& c, timestamp_ms now);
  /// Burrow addConsumerOwner: creates the group if missing; held like commits when the topic-partition
  /// has no broker data yet. Returns true when the group changed (created, or owner/client changed).
  bool set_owner(const owner_update& o, timestamp_ms now);
  /// Warren (Burrow #818 ignores offset tombstones): the group's committed offset for one partition
  /// was deleted. Drops that partition's window and owner (it reads as never committed) and any held
  /// entries for it; a topic left without any window leaves the group, and a group left without
  /// topics is removed (check has_group()). True when something was dropped.
  bool forget_partition(std::string_view group, std::string_view topic, partition_id partition);
  /// Blanks owner and client id on every partition of an existing group, and drops its owners still
  /// held for topics without broker data (older than this call). True when the group exists.
  bool clear_owners(std::string_view group);
  /// True when the group existed.
  bool delete_group(std::string_view group);
  /// Removes one topic from a group, and the group if no topic is left. True when the topic existed.
  bool delete_group_topic(std::string_view group, std::string_view topic);
  /// Removes the topic from broker data, from every group and from the pending buffer; groups left
  /// without topics are removed (Burrow #426 fix). Returns the groups that changed, sorted. Visits only
  /// the groups of that topic (consumer index).
  std::vector<std::string> delete_topic(std::string_view topic);
  /// Eager expiry: removes groups whose last commit is older than expire-group (Burrow does this lazily
  /// on fetch) and held entries older than pending_max_age_s. Returns the removed groups, sorted.
  std::vector<std::string> expire(timestamp_ms now);

  // ---- queries --------------------------------------------------------------------------------

  std::vector<std::string> topics() const;  ///< sorted
  /// Latest broker offset per partition; partitions without a sample are skipped (Burrow FetchTopic).
  /// nullopt for an unknown topic.
  std::optional<std::vector<std::int64_t>> topic_offsets(std::string_view topic) const;
  std::optional<std::int32_t> partition_count(std::string_view topic) const;
  /// Broker log-end history of one partition, oldest → newest (Burrow's window: every sample).
  std::vector<broker_sample> broker_history(std::string_view topic, partition_id partition) const;
  /// Warren: the lag-in-seconds history of one partition (log_end_history.hpp), oldest → newest.
  std::vector<history_point> log_end_points(std::string_view topic, partition_id partition) const;
  /// Warren: log-start offset (−1 = unknown) and retention.ms (retention_unknown) of a partition.
  std::int64_t log_start(std::string_view topic, partition_id partition) const;
  std::int64_t retention_ms(std::string_view topic) const;
  std::vector<std::string> groups() const;  ///< sorted; includes groups awaiting expire()
  /// The groups with a stored partition (a commit ring or an owner) of `topic`, sorted. From the
  /// consumer index: O(g log g) for the g groups of that topic, not a scan of all groups.
  std::vector<std::string> groups_of_topic(std::string_view topic) const;
  /// Appends to `out` the groups with a stored partition (a commit ring or an owner) of `topic`, in no
  /// particular order. O(groups of that topic), from an index kept up to date by every mutation.
  /// Like groups(), includes groups awaiting expire(); a group whose commits are still held is not
  /// listed until set_broker_offset() applies them.
  void consumers_of(std::string_view topic, std::vector<std::string>& out) const;
  bool has_group(std::string_view group) const;
  /// Warren (issue 12): true when view_group(group, now) would answer (known and not expired at
  /// `now`), without building the view. O(1).
  bool answerable(std::string_view group, timestamp_ms now) const;

  /// Warren (issue 12): what the list from answerable_groups() depended on, for caching a body
  /// built from it (http/api_v3 caches the `/consumer` list).
  struct group_list_stamp {
    std::uint64_t generation = 0;  ///< generation() when listed
    std::int64_t threshold = 0;    ///< the expire threshold of the `now` it was listed at
    std::int64_t oldest = 0;       ///< smallest last_commit listed (INT64_MAX when none)
  };
  /// Warren (issue 12): the groups view_group() answers at `now`, sorted, appended to `out`
  /// (cleared first; the views are valid until the next mutation). O(g log g).
  group_list_stamp answerable_groups(timestamp_ms now, std::vector<std::string_view>& out) const;
  /// True when answerable_groups(now) would list exactly what the call that returned `s` listed:
  /// nothing that adds, removes or (un)expires a group happened since, and at `now` no listed group
  /// has expired and no unlisted one is back (the clock did not go backwards). O(1).
  bool same_answerable_groups(const group_list_stamp& s, timestamp_ms now) const;
  /// Warren (issue 12): bumped by every mutation that adds or removes a group or a broker topic, and
  /// by every change of a group's last commit that may change whether it is answerable (a move
  /// backwards, or one from below the expire threshold of the mutation or of a list handed out).
  /// Unchanged generation = unchanged topics() and groups().
  std::uint64_t generation() const { return generation_; }
  /// Fills `out` (cleared first) with the group's state. False when unknown or expired at `now`
  /// (Burrow's lazy-expiry check; the group is not removed here).
  bool view_group(std::string_view group, timestamp_ms now, group_view& out) const;
  std::optional<group_view> view_group(std::string_view group, timestamp_ms now) const;

  // ---- snapshots (issue 14, storage/model_snapshot.cpp) ------------------------------------

  /// Every stored group's name, bucketed by the offsets-topic partition its commits live in
  /// (snapshot::offsets_partition_for, `count` ≥ 1); each bucket sorted. O(g log g) for g groups.
  std::vector<std::vector<std::string>> groups_by_offsets_partition(std::int32_t count) const;
  /// Appends the image of each named group that exists (windows, owners, client ids, last commit;
  /// not broker data) to `out.groups`, in the order given (pass them sorted).
  void export_groups(std::span<const std::string> names, snapshot::partition_image& out) const;
  /// Restores the groups of a decoded snapshot (snapshot::decode validated it). Precondition: no
  /// group is stored yet (start-up) and img.head.intervals == options().intervals; otherwise throws
  /// std::logic_error. Rings are restored exactly (same samples, same lags, same last commit); a
  /// group today's allow/deny lists refuse is not restored (Burrow rule 3). Expiry stays expire()'s
  /// job (groups already expired at `now` are restored and counted; the next pass removes them).
  snapshot_import import_snapshot(const snapshot::image& img, timestamp_ms now);
  /// Drops every group whose commits live in offsets-topic partition `partition` of `count`
  /// (scale-out: that partition was lost; restart: its snapshot part is unusable). Held entries are
  /// kept (they are per topic and resolve or age out). Returns the removed groups, sorted.
  std::vector<std::string> forget_offsets_partition(std::int32_t partition, std::int32_t count);

  // ---- statistics -----------------------------------------------------------------------------

  std::size_t group_count() const;
  /// Partitions with a commit ring (kept as a count: /metrics reads it per scrape).
  std::size_t tracked_partitions() const { return tracked_; }
  std::size_t pending_count() const { return pending_.size(); }
  std::uint64_t pending_dropped() const { return pending_.dropped(); }
  const storage_options& options() const { return options_; }

 private:
  struct partition_slot {
    detail::sample_ring ring;
    std::uint32_t owner = 0;
    std::uint32_t client_id = 0;
  };
  /// One topic of one group. Exists while at least one of its slots has a ring (commits and owners
  /// both allocate one), and is then linked in the list of consumers_[topic]. The list is intrusive
  /// (map nodes do not move), so the index costs no allocation per (group, topic): this node is the
  /// same 96-byte malloc chunk as the former {std::string key, slots} node.
  struct group_topic {
    std::vector<partition_slot> slots;
    const std::string* group = nullptr;  ///< the groups_ key of the group it belongs to
    group_topic* prev = nullptr;         ///< neighbours in the consumers_[topic] list
    group_topic* next = nullptr;
  };
  /// Orders interned names (pointers to consumers_ keys) by their text; transparent for lookups.
  struct by_name {
    using is_transparent = void;
    bool operator()(const std::string* a, const std::string* b) const { return *a < *b; }
    bool operator()(const std::string* a, std::string_view b) const { return std::string_view(*a) < b; }
    bool operator()(std::string_view a, const std::string* b) const { return a < std::string_view(*b); }
  };
  /// A group's topics, sorted by name; each key is the consumers_ key of that topic (no copy per group).
  using topic_map = std::map<const std::string*, group_topic, by_name>;
  struct group_state {
    std::int64_t last_commit = 0;
    topic_map topics;
  };
  struct broker_topic {
    std::int32_t partition_count = 0;
    std::vector<broker_sample> samples;  ///< partition_count × intervals
    std::vector<std::uint16_t> head;     ///< per partition: physical index of the oldest sample
    std::vector<std::uint16_t> count;    ///< per partition: samples held
    /// Warren (issue 11), per partition: lag-in-seconds history (144 B) and log-start offset (8 B).
    std::vector<detail::log_end_history> history;
    std::vector<std::int64_t> log_start;
    std::int64_t retention_ms = retention_unknown;  ///< the topic's retention.ms
  };
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  struct group_filter;
  using group_map = std::unordered_map<std::string, group_state, string_hash, std::equal_to<>>;
  using group_entry = group_map::value_type;
  /// The consumer index: topic → the head of the (unordered) list of the group_topic of every group
  /// holding it; never null. Its nodes own the topic names that topic_map keys point to.
  using consumer_map = std::unordered_map<std::string, group_topic*, string_hash, std::equal_to<>>;

  std::int64_t expire_threshold(timestamp_ms now) const;
  bool accept_group(std::string_view group) const;
  const broker_topic* resolvable(std::string_view topic, std::int32_t partition) const;
  std::optional<std::int64_t> latest_broker(const broker_topic& t, std::int32_t partition) const;
  group_entry& group_for(std::string_view group, bool* created);
  /// Unlinks every topic of the group from the index, releases its strings, erases it and forgets it
  /// in the group_for cache; returns the next iterator. The only way a group leaves groups_.
  group_map::iterator erase_group(group_map::iterator it);
  /// Adds a topic to a group and links it in the index. The only way a topic enters a group.
  topic_map::iterator link_topic(group_entry& g, std::string_view topic);
  /// Unlinks a topic of a group from the index, releases its strings and erases it. The only way a
  /// topic leaves a group.
  void unlink_topic(topic_map& topics, topic_map::iterator t);
  partition_slot& slot_for(group_entry& g, std::string_view topic, std::int32_t partition,
                           std::int32_t partition_count);
  commit_outcome apply_commit(std::string_view group, std::string_view topic, std::int32_t partition,
                              std::int64_t offset, std::int64_t order, std::int64_t ts, std::int64_t now,
                              const broker_topic& bt);
  bool apply_owner(group_entry& g, std::string_view topic, std::int32_t partition, std::string_view owner,
                   std::string_view client_id, const broker_topic& bt);
  void release_slots(std::vector<partition_slot>& slots);

  storage_options options_;
  std::unique_ptr<group_filter> filter_;
  consumer_map consumers_;  // declared before groups_: its keys outlive the topic_map keys pointing at them
  group_map groups_;
  // group_for cache: commits of one group arrive in runs, so the last group found is remembered
  // (nodes of an unordered_map stay put on rehash and on move). Reset by erase_group; a moved-from
  // state forgets it.
  struct group_cache {
    group_entry* entry = nullptr;
    group_cache() = default;
    group_cache(group_cache&& o) noexcept : entry(std::exchange(o.entry, nullptr)) {}
    group_cache& operator=(group_cache&& o) noexcept {
      entry = std::exchange(o.entry, nullptr);
      return *this;
    }
  };
  group_cache last_group_;
  std::map<std::string, broker_topic, std::less<>> broker_;
  detail::pending_buffer pending_;
  detail::string_pool strings_;
  // Warren (issue 12): see generation(). `listed_threshold_` is the highest expire threshold a list
  // was handed out at (answerable_groups): a group below it may be missing from a cached list.
  std::uint64_t generation_ = 0;
  std::size_t tracked_ = 0;  ///< allocated rings: slot_for and import_snapshot add, release_slots removes
  mutable std::int64_t listed_threshold_ = INT64_MIN;
};

}  // namespace warren
