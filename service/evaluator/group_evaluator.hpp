#pragma once
// group_evaluator (actor): keeps the latest status of every group.
// - Input: the store marks groups dirty through inbox() (a queue this actor owns; the store never
//   runs evaluation code). Dirty groups are evaluated by the evaluator's own loop with leading-edge
//   coalescing (coalescer.hpp): light traffic at once, a storm once per `coalesce` window; the work
//   is sliced (a few ms per io-thread turn) however many groups are dirty.
// - A periodic pass re-evaluates every group (STOP depends on the clock), sliced the same way.
// - Output: whenever a group's status or any partition's status changes, or a group is removed,
//   a status_event goes to changes(); each subscriber (ws hub, notifiers) drains its own queue.
// - Queries (HTTP, metrics, snapshots) read kept statuses: nothing is evaluated on a request.
// Supervised (core/actor.hpp): a loop that throws restarts; dirty marks survive the restart.
// io thread only.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "service/core/async.hpp"
#include "service/core/clock.hpp"
#include "service/evaluator/rules.hpp"
#include "service/evaluator/status_pack.hpp"
#include "service/storage/change_sink.hpp"

namespace warren {
class offset_store;
class supervisor;
template <class Event>
class feed;

/// What a subscriber handles: `current` is the kept status now (null when the group is gone).
struct group_status_changed {
  const std::string& cluster;
  const std::string& group;
  const group_status* current;  ///< all partitions (the `/lag` answer)
  status_code previous;         ///< notfound when the group is new
};

/// The event queued per subscriber; coalesces per group, keeping the oldest `previous`.
struct status_event {
  std::string cluster, group;
  status_code previous = status_code::notfound;
  std::string key() const;
  void merge(status_event&&) {}
};

struct evaluator_stats {
  std::uint64_t evaluations = 0;      ///< group evaluations
  std::uint64_t partitions = 0;       ///< partition evaluations
  std::uint64_t changes = 0;          ///< events published
  std::uint64_t passes = 0;           ///< periodic full passes
  std::uint64_t flushes = 0;          ///< dirty flushes begun
  std::uint64_t flushes_done = 0;     ///< dirty flushes finished (every group they took evaluated)
  std::uint64_t removals = 0;         ///< groups removed
  double last_pass_seconds = 0;       ///< duration of the last full pass
  double longest_slice_seconds = 0;   ///< longest single io-thread turn of a flush or pass
  double evaluation_seconds_total = 0;
  std::size_t dirty = 0;              ///< groups waiting for evaluation now (held ones included)
  std::uint64_t held_marks = 0;       ///< changes of groups of held clusters (see hold())
  std::size_t kept_bytes = 0;         ///< heap bytes of the packed kept statuses (status_pack.hpp)
};

/// What is known of a kept status without unpacking it.
struct kept_info {
  std::uint64_t generation = 0;    ///< see for_each_after
  std::int64_t evaluated_at = 0;   ///< group warren.evaluated_at (0 without a warren object)
  status_code status = status_code::notfound;
};

class group_evaluator {
 public:
  group_evaluator(asio::any_io_executor ex, supervisor& sup, const offset_store& store, evaluator_options options,
                  std::chrono::milliseconds coalesce, std::chrono::milliseconds full_pass_interval,
                  const clock& clk = clock::system());
  ~group_evaluator();
  group_evaluator(const group_evaluator&) = delete;
  group_evaluator& operator=(const group_evaluator&) = delete;

  void start();
  task<void> stop();

  /// The store's sink for dirty groups.
  change_sink& inbox();
  /// Status changes; subscribe with core/feed.hpp's subscriber.
  feed<status_event>& changes();

  /// The kept status (all partitions), unpacked into a copy; nullopt when the group is unknown.
  /// Statuses are kept packed (evaluator/status_pack.hpp, ~60 B per partition instead of ~340).
  std::optional<group_status> status(std::string_view cluster, std::string_view group) const;
  /// The same into `out` (its capacity reused); false, `out` untouched, when the group is unknown.
  bool status(std::string_view cluster, std::string_view group, group_status& out) const;
  /// Generation, evaluation time and status code of a kept status, without unpacking it.
  std::optional<kept_info> info(std::string_view cluster, std::string_view group) const;
  bool has_status(std::string_view cluster, std::string_view group) const { return info(cluster, group).has_value(); }
  /// Calls f for every kept status of `cluster` (empty = all clusters), in (cluster, group) order;
  /// the status passed is valid during the call only.
  void for_each(std::string_view cluster, const std::function<void(const group_status&)>& f) const;
  /// Calls f(status, generation) for every kept status after (cluster, group) in (cluster, group)
  /// order ("", "" = from the first) until f returns false, so a long walk (metrics) can stop,
  /// yield and resume by key. `generation` changes whenever the group's kept status changes in any
  /// field but its evaluation time; a value is never reused (a re-added group gets a new one).
  /// Without `with_partitions` the statuses come without their partitions (status_pack.hpp).
  void for_each_after(std::string_view cluster, std::string_view group,
                      const std::function<bool(const group_status&, std::uint64_t generation)>& f,
                      bool with_partitions = true) const;
  /// Issue 12 (/metrics): for_each_after with each status unpacked without its partitions and the
  /// partitions read in place (status_pack.hpp partition_fields, valid during the call only).
  void for_each_fields_after(std::string_view cluster, std::string_view group,
                             const std::function<bool(const group_status&, std::span<const partition_fields>)>& f) const;
  /// Calls f(group, info) for the kept statuses of one cluster from group `from` on (inclusive), in
  /// group order, without unpacking them, until f returns false (resume from `last + '\0'`).
  void for_each_info(std::string_view cluster, std::string_view from,
                     const std::function<bool(const std::string& group, const kept_info&)>& f) const;
  std::size_t size() const;
  const evaluator_stats& stats() const;

  /// While `cluster`'s offsets are first replayed (the app holds it until every offsets source of
  /// the cluster has caught up once), its changed groups are not evaluated on every change: a
  /// replay's intermediate rounds of commits are history, judged against today's log-end offsets.
  /// They are evaluated when the cluster is released, and, during a long replay, at most once per
  /// `flush` (so statuses still appear); the periodic pass leaves a held cluster alone for its
  /// first `flush` period.
  void hold(const std::string& cluster, std::chrono::milliseconds flush = held_flush);
  /// Releases `cluster` once the store has finished `after_store_batches` batches (its
  /// batches_received when the cluster's sources caught up: what they handed is still in the
  /// store's mailbox then, and is held too); at once when it has.
  void release(const std::string& cluster, std::uint64_t after_store_batches = 0);
  bool held(std::string_view cluster) const;
  static constexpr std::chrono::milliseconds held_flush{10'000};

  /// Tests and benches: evaluate every dirty group now (unsliced), and a full pass now.
  void flush_now();
  void pass_now();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace warren
