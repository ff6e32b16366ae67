#pragma once
// Plain health values that actors report and HTTP/metrics render. No I/O; io thread only.
#include <cstdint>
#include <string>
#include <vector>

namespace warren {

/// One supervised actor as /v3/health and /metrics show it.
struct actor_health {
  std::string actor;    ///< kind: "offsets_reader", "cluster_poller", "offset_store", "group_evaluator", "ws_hub"
  std::string cluster;  ///< the cluster it serves; "" for process-wide actors
  bool up = true;       ///< false between a failure and its restart (or for good once stopped by a fault)
  std::uint64_t restarts = 0;     ///< restarts after an exception since start
  std::string last_error;         ///< what() of the last exception; "" when it never failed
  std::int64_t last_failure_ms = 0;  ///< wall clock of the last failure; 0 = never
};

/// Freshness of one cluster's data, as every status answer about it reports (Warren's additive
/// `warren` object). `stale` is true while the cluster is unreachable or its offsets reader has
/// not caught up (or is down): then statuses may be older than they look.
struct cluster_freshness {
  bool stale = false;
  std::int64_t as_of_ms = 0;  ///< newest time the data is known good: last successful broker round (ms)
  std::string reason;         ///< "" when fresh; e.g. "cluster unreachable: <error>", "offsets replay in progress"
  bool reachable = true;      ///< the cluster answered its last metadata/offset request
  friend bool operator==(const cluster_freshness&, const cluster_freshness&) = default;
};

/// "Something about this cluster's health changed" (published by its poller and readers; the
/// subscriber reads the current freshness when it handles the event). Coalesces per cluster.
struct cluster_event {
  std::string cluster;
  std::string key() const { return cluster; }
  void merge(cluster_event&&) {}
};

}  // namespace warren
