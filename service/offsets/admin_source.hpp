#pragma once
// admin_source (actor, one per [consumer.X] of class kafka-admin; issue 13): committed offsets
// from the Admin API, for clusters whose offsets topic Warren may not read (Confluent Cloud,
// WarpStream, MSK Serverless, strict ACLs). Every group-refresh it lists the groups
// (ListConsumerGroups) and describes them (DescribeConsumerGroups: owners' host and client id);
// every group's committed offsets are fetched once per offset-refresh (ListConsumerGroupOffsets,
// one group per request) as admin_schedule plans: spread over the period, at most max-in-flight
// at once, per-group backoff, timeouts that never hold the others up.
//
// Each offset that CHANGED enters the store as a commit whose timestamp is the observation time
// (the rules see poll-time commits, as with Burrow's ZooKeeper consumer); an unchanged offset is
// not sent again, so a consumer that stopped committing looks stopped (STOP), not stalled. A group
// the cluster no longer lists is deleted from the store.
//
// io thread only. librdkafka results arrive on a queue drained through its wake-up fd
// (kafka/admin.hpp); closing the client goes through blocking_pool. Supervised (core/actor.hpp):
// after an exception the client is rebuilt; the last offsets seen survive, so nothing is
// re-sent as a new commit.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "service/core/async.hpp"
#include "service/kafka/client.hpp"
#include "service/storage/commands.hpp"

namespace warren {
class blocking_pool;
class clock;
class supervisor;
struct consumer_module;

/// Counters exported by /metrics and /v3/health. Written on the io thread.
struct admin_source_stats {
  std::uint64_t list_rounds = 0;        ///< ListConsumerGroups answered
  std::uint64_t list_errors = 0;
  std::uint64_t describe_requests = 0;  ///< DescribeConsumerGroups sent
  std::uint64_t describe_errors = 0;    ///< failed requests or groups
  std::uint64_t offset_requests = 0;    ///< ListConsumerGroupOffsets sent
  std::uint64_t offset_errors = 0;      ///< failed or throttled
  std::uint64_t offset_timeouts = 0;    ///< in flight past request-timeout
  std::uint64_t commits = 0;            ///< changed offsets sent to the store
  std::uint64_t unchanged = 0;          ///< offsets read again with the same value (not sent)
  std::uint64_t groups_removed = 0;     ///< groups no longer listed, deleted from the store
  std::uint64_t groups = 0;             ///< groups scheduled now
  bool caught_up = false;               ///< the first full round (every listed group fetched) is done
  bool connected = true;                ///< false while the last group listing failed
  std::string last_error;
  std::int64_t last_success_ms = 0;     ///< wall time of the last answered listing
  std::int64_t first_round_ms = 0;      ///< how long the first full round took
};

class admin_source {
 public:
  using sink = std::function<task<void>(store_cmd::batch)>;

  admin_source(asio::any_io_executor ex, supervisor& sup, blocking_pool& pool, const consumer_module& module,
               kafka::client_settings settings, sink to_store, const clock& clk);
  ~admin_source();
  admin_source(const admin_source&) = delete;
  admin_source& operator=(const admin_source&) = delete;

  /// Called (io thread) when caught_up or connected changes.
  void on_state_change(std::function<void()> f);
  /// Before start(): this source replaces a class kafka consumer whose offsets topic could not be
  /// read (fallback = "kafka-admin"), for `reason`. Its one start-up line then says so: the
  /// consumer, the cluster, the reason and the mode now in use.
  void fallback_from(std::string reason);
  /// The reason given to fallback_from(); empty for a configured kafka-admin consumer.
  const std::string& fallback_reason() const;
  void start();
  /// Stops and closes the client (off the io thread); completes when closed.
  task<void> stop();

  const std::string& name() const;
  const std::string& cluster() const;
  const admin_source_stats& stats() const;
  /// How far the fetch schedule is behind, in ms (0 = on time).
  std::int64_t schedule_lag_ms() const;
  bool up() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace warren
