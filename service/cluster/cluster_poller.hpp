#pragma once
// cluster_poller (actor, one per [cluster.X]): every topic-refresh it reads topic metadata; every
// offset-refresh it reads the log-end offset of every partition (one ListOffsets request per
// leader broker, via rd_kafka_offsets_for_times); every groups-reaper-refresh (when > 0) it lists
// the cluster's groups. Results go to the store as commands. Blocking librdkafka calls run on
// blocking_pool; the actor itself lives on the io thread. A cluster that cannot be reached is
// logged once per outage and retried on the next tick.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "service/core/async.hpp"
#include "service/kafka/client.hpp"
#include "service/storage/commands.hpp"

namespace warren {
class blocking_pool;
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
};

class cluster_poller {
 public:
  using sink = std::function<task<void>(store_cmd::batch)>;

  cluster_poller(asio::any_io_executor ex, blocking_pool& pool, const cluster_module& module,
                 kafka::client_settings settings, sink to_store);
  ~cluster_poller();
  cluster_poller(const cluster_poller&) = delete;
  cluster_poller& operator=(const cluster_poller&) = delete;

  void start();
  task<void> stop();

  const std::string& name() const;
  const poller_stats& stats() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace warren
