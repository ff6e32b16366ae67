#pragma once
// cluster_poller (actor, one per [cluster.X]): every topic-refresh it reads topic metadata; every
// offset-refresh it reads the log-end offset of every partition (one ListOffsets request per
// leader broker, via rd_kafka_offsets_for_times); every groups-reaper-refresh (when > 0) it lists
// the cluster's groups. Warren (issue 11): every third log-end round also reads log-start offsets
// (a second batched ListOffsets, earliest), and every metadata refresh reads each topic's
// retention.ms (Admin DescribeConfigs); the store keeps per partition a short history of
// (log-end offset, time observed) for lag in seconds. Results go to the store as commands. Blocking librdkafka calls run on
// blocking_pool; the actor itself lives on the io thread. A cluster that cannot be reached is
// logged once per outage and retried on the next tick. One broker that fails the log-end request
// does not discard what the others answered. Supervised (core/actor.hpp): after an exception the
// client is rebuilt and a fresh round starts.
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
struct cluster_module;

struct poller_stats {
  bool reachable = true;          ///< false while metadata or offset requests fail
  std::string last_error;         ///< the error of the current outage
  std::int64_t down_since_ms = 0;  ///< when the current outage started (0 = none)
  std::uint64_t errors = 0;       ///< failed requests since start
  std::uint64_t offset_rounds = 0;
  std::uint64_t metadata_rounds = 0;
  std::size_t topics = 0;
  std::size_t partitions = 0;
  std::uint64_t partitions_unanswered = 0;  ///< log-end answers missing (failed brokers), total
  std::int64_t last_success_ms = 0;  ///< wall time of the last successful log-end round
};

class cluster_poller {
 public:
  using sink = std::function<task<void>(store_cmd::batch)>;

  /// `keep_groups`: groups the reaper never removes (the self-reporting `burrow-<consumer>` groups).
  cluster_poller(asio::any_io_executor ex, supervisor& sup, blocking_pool& pool, const cluster_module& module,
                 kafka::client_settings settings, sink to_store, std::vector<std::string> keep_groups,
                 const clock& clk);
  /// Called (io thread) when reachability changes; the app publishes a cluster event.
  void on_state_change(std::function<void()> f);
  ~cluster_poller();
  cluster_poller(const cluster_poller&) = delete;
  cluster_poller& operator=(const cluster_poller&) = delete;

  void start();
  task<void> stop();

  const std::string& name() const;
  const poller_stats& stats() const;
  bool up() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace warren
