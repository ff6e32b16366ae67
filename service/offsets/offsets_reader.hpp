#pragma once
// offsets_reader (actor, one per [consumer.X] of class kafka): without a cluster-group, reads every
// partition of the offsets topic with a group-less librdkafka consumer (assign), decodes each
// record and sends store commands in batches. Runs on the io thread; librdkafka wakes it through
// queue_waker; its blocking calls (metadata, end offsets, close) go through blocking_pool.
// Back-pressure: a full store mailbox suspends the reader, which stops draining librdkafka.
// Supervised (core/actor.hpp): after an exception the client is rebuilt and reading resumes from
// the next offset of every partition, so nothing is read twice or skipped. With self-report on
// (Burrow's default) it also stores its own position per offsets-topic partition as commits of the
// group `burrow-<consumer name>` (Burrow's self-monitoring group).
// Issue 14, with cluster-group set: instead of assigning every partition the reader subscribes as a
// member of that consumer group (cooperative-sticky) and reads only the partitions the group gives
// it; each rebalance is answered on the io thread (its librdkafka calls offloaded), a revoked
// partition's groups are dropped from the store (store_cmd::forget_offsets_partition) and its
// positions no longer reported; a gained one is read from its beginning, or from the snapshot's
// position (resume_from) when that lies within its [log-start, log-end]. A restored partition
// (snapshot, or owned before a supervised restart, which rejoins as a new member) stays in the
// store until the first assignment: kept and resumed if given, else forgotten. In the group the
// self-reporting group holds only this instance's partitions.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "service/core/async.hpp"
#include "service/kafka/client.hpp"
#include "service/storage/commands.hpp"

namespace warren {
class blocking_pool;
class clock;
class supervisor;
struct consumer_module;

/// Counters exported by /metrics. Written on the io thread.
struct reader_stats {
  std::uint64_t records = 0;              ///< records read from the offsets topic
  std::uint64_t commits = 0;              ///< offset commits forwarded
  std::uint64_t tombstones = 0;           ///< offset + group tombstones
  std::uint64_t group_metadata = 0;       ///< group metadata records
  std::uint64_t other_records = 0;        ///< KIP-848/share/streams records, skipped
  std::uint64_t fetcher_wakes = 0;        ///< replay: ListOffsets sent to wake the fetcher after a drain
  std::uint64_t filtered = 0;             ///< commits dropped by group-allowlist/denylist
  std::array<std::uint64_t, 16> errors{};  ///< decode errors by offsets::error_reason
  std::int64_t replay_target = 0;         ///< end offsets (summed) that existed at start (cluster-group: at assignment, owned partitions)
  std::int64_t replay_position = 0;       ///< how far the replay got (summed positions)
  bool caught_up = false;                 ///< read up to the start-time end offsets (cluster-group: of every owned partition, as of its assignment)
  /// Latched once caught_up was first reached: the process is READY (cluster-group: the first
  /// assignment was read; later gains make caught_up false again, not ready).
  bool ready = false;
  /// Issue 14: the cluster-group this reader is a member of; empty = it reads every partition.
  std::string cluster_group;
  bool assigned = false;                  ///< cluster-group: the group gave this member its first assignment
  std::vector<std::int32_t> owned_partitions;  ///< the partitions read now (every one without a cluster-group)
  std::uint64_t rebalances = 0;           ///< cluster-group: assignments and revocations served
  bool connected = true;                  ///< false while librdkafka reports all brokers down
  std::int64_t last_record_ms = 0;        ///< wall time of the last record read
  /// Issue 13: why the offsets topic cannot be read (TOPIC_AUTHORIZATION_FAILED, or absent while
  /// the cluster lists groups); empty while it can. Cleared when records arrive again.
  std::string unreadable;
};

class offsets_reader {
 public:
  using sink = std::function<task<void>(store_cmd::batch)>;

  offsets_reader(asio::any_io_executor ex, supervisor& sup, blocking_pool& pool, const consumer_module& module,
                 kafka::client_settings settings, sink to_store, const clock& clk);
  /// Called (io thread) when caught_up or connected changes; the app publishes a cluster event.
  void on_state_change(std::function<void()> f);
  /// Issue 14: before start(); the store snapshots this cluster. Every batch then ends with the
  /// reader's positions (store_cmd::offsets_positions), and the first assignment starts each
  /// offsets-topic partition at next[p] (the loaded snapshot's positions) when it lies within the
  /// partition's [log-start, log-end]; a partition without a usable position is read from the
  /// beginning, its groups first dropped from the store (store_cmd::forget_offsets_partition), and
  /// so is every partition when the topic's partition count changed. Empty = no snapshot.
  void resume_from(std::vector<std::int64_t> next);
  /// Issue 13: called (io thread) once when the offsets topic proves unreadable, with the reason;
  /// the reader then stops reading and idles until stop() (the app switches the consumer to the
  /// Admin API source). Without it (fallback = "none") the reader logs the reason once, reports
  /// it in stats().unreadable and keeps retrying.
  void on_unreadable(std::function<void(const std::string& reason)> f);
  /// Issue 14 part 2/3 (cluster-group members): awaited on the io thread before a rebalance takes
  /// effect: `gained` partitions before they are assigned; revoked ones (`lost`: the membership was
  /// lost) before the store forgets their groups and before the revocation is answered, so the
  /// fleet's status publisher can hand their latest state over (fleet/fleet_status.hpp).
  struct rebalance_hooks {
    std::function<task<void>(std::vector<std::int32_t> gained)> gain;
    std::function<task<void>(std::vector<std::int32_t> revoked, bool lost)> revoke;
  };
  void on_rebalance(rebalance_hooks hooks);
  ~offsets_reader();
  offsets_reader(const offsets_reader&) = delete;
  offsets_reader& operator=(const offsets_reader&) = delete;

  void start();
  /// Stops reading and closes the client (off the io thread); completes when closed.
  task<void> stop();

  const std::string& name() const;
  const std::string& cluster() const;
  const reader_stats& stats() const;
  /// False while the reader's loop is down between a failure and its restart.
  bool up() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace warren
