#pragma once
// fleet_status (actor, issue 14 parts 2 and 3; one per [consumer.X] of class kafka with a
// cluster-group): makes every instance of the fleet able to answer every group, through one
// compacted Kafka topic (`status-topic`, status_record.hpp), and hands the notifier state of a
// group to its next owner.
// - Topic: created when absent (Admin CreateTopics: cleanup.policy=compact, the offsets topic's
//   partition count, else 6; broker-default replication). A failure (authorisation, broker down) is
//   logged and reported (/v3/health: the actor is down with the reason) and retried with the
//   supervisor's backoff; Warren keeps answering its own groups.
// - Publisher (owner side): subscribes to the evaluator's change stream like the ws hub. For the
//   groups of the offsets partitions this instance owns it produces the latest record: a changed
//   status or notifier state at once; lag-only changes (which the evaluator does not report) are
//   found by a scan of the owned groups every `publish-interval` and published then; a
//   group the owner removes gets a tombstone, a group it merely loses (revoked partition) does not.
//   Deliveries are reported by librdkafka's background thread and posted back; a failed one is
//   re-published at the next tick. Before a revocation completes (before_revoke, awaited by the
//   offsets reader) the partitions' groups are published and the producer flushed (bounded, on
//   the pool) so the next owner reads the latest state.
// - Reader (every instance): reads every partition of the topic from the beginning (group-less
//   assign) into remote_status. synced() says the reader got to the topic's end offsets as they were
//   when the current assignment was gained (bounded by sync-timeout): the notifier waits for it
//   before it adopts and evaluates groups it gained.
// io thread only; librdkafka's blocking calls go through blocking_pool.
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "service/core/async.hpp"
#include "service/fleet/remote_status.hpp"
#include "service/kafka/client.hpp"

namespace warren {
class blocking_pool;
class clock;
class supervisor;
class group_evaluator;
struct consumer_module;
}  // namespace warren

namespace warren::fleet {

struct fleet_stats {
  std::string status_topic;
  bool topic_ready = false;       ///< created or found, partitions known, reader running
  std::string topic_error;        ///< the last setup failure; empty once ready
  std::int32_t topic_partitions = 0;
  std::int32_t offsets_partitions = 0;  ///< of the offsets topic (group -> partition)
  std::uint64_t records_read = 0;
  std::uint64_t tombstones_read = 0;
  std::array<std::uint64_t, decode_error_count> decode_errors{};
  std::uint64_t decode_errors_total() const {
    std::uint64_t n = 0;
    for (auto e : decode_errors) n += e;
    return n;
  }
  std::uint64_t published = 0;             ///< records produced (tombstones included)
  std::uint64_t tombstones_published = 0;
  std::uint64_t delivered = 0;             ///< deliveries confirmed by the broker
  std::uint64_t delivery_failures = 0;
  std::uint64_t produce_errors = 0;        ///< refused by librdkafka at once (queue full, too large)
  bool synced = false;                     ///< see fleet_status::synced()
  std::uint64_t lag_scan_slices = 0;       ///< io-thread turns of the owner's lag-change scans
};

class fleet_status {
 public:
  /// Returns the notifier's state of a group (io thread); nullopt = none kept.
  using notifier_source = std::function<std::optional<notifier_record>(const std::string& group)>;

  fleet_status(asio::any_io_executor ex, supervisor& sup, blocking_pool& pool, const consumer_module& module,
               kafka::client_settings settings, group_evaluator& evaluator, owner_ref self, const clock& clk);
  ~fleet_status();
  fleet_status(const fleet_status&) = delete;
  fleet_status& operator=(const fleet_status&) = delete;

  void start();
  /// Stops the loops, flushes the producer (bounded) and closes the clients off the io thread.
  task<void> stop();
  /// Waits (bounded, on the pool) until every record produced so far is delivered. The app calls
  /// it before the offsets readers leave the group at shutdown: a clean hand-off.
  task<void> flush();

  /// Before start(): where published records take the notifier state from.
  void set_notifier_source(notifier_source f);
  /// A group's record in remote() changed in a way the stream shows (new, removed, another status,
  /// owner or partition statuses; not a lag-only update): called on the io thread after the change,
  /// with the status the group had before (notfound when new). Set before start().
  using remote_listener = std::function<void(const std::string& group, status_code previous)>;
  void set_remote_listener(remote_listener f);
  /// The notifier changed its state of `group` (opened, closed, notified): publish at once.
  void notifier_changed(const std::string& group);

  /// Offsets-reader hooks (awaited before the rebalance is answered): gained partitions (the
  /// topic's end offsets are sampled for synced()), revoked ones (`lost` = membership lost: nothing
  /// is published, the new owner may already write).
  task<void> on_gain(std::vector<std::int32_t> partitions);
  task<void> before_revoke(std::vector<std::int32_t> partitions, bool lost);

  /// The status topic was read up to its end offsets sampled at the last gain (or at start), or
  /// sync_timeout passed since then.
  bool synced() const;

  const remote_status& remote() const;
  const owner_ref& self() const;
  const std::string& cluster() const;
  const std::string& name() const;
  std::chrono::milliseconds forward_timeout() const;
  asio::any_io_executor executor() const;
  const fleet_stats& stats() const;
  bool up() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace warren::fleet
