#pragma once
// Prometheus text exposition (format 0.0.4). Renders snapshots of the actors' state on the io
// thread: Burrow's burrow_kafka_* gauges with Burrow's names and labels, from the evaluator's kept
// statuses (no evaluation per scrape), plus Warren's own series.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "service/core/health.hpp"

namespace warren {
class group_evaluator;
class offset_store;
class offsets_reader;
class cluster_poller;
class admin_source;

/// HTTP requests by (route, status code).
struct request_counters {
  std::map<std::pair<std::string, unsigned>, std::uint64_t> counts;
  void add(const std::string& route, unsigned status) { ++counts[{route, status}]; }
};

/// One notifier module's delivery counters (notifier/sender.hpp).
struct notifier_series {
  std::string name;
  std::string class_name;
  std::uint64_t sent = 0, failed = 0, dropped = 0, retries = 0;
  std::uint64_t queued = 0;
  std::vector<double> latency_bounds;          ///< histogram upper bounds, seconds
  std::vector<std::uint64_t> latency_buckets;  ///< per bucket, not cumulative
  std::uint64_t latency_count = 0;
  double latency_sum = 0;
};

/// Issue 13: the committed-offsets source one [consumer.X] uses now.
struct offsets_source_mode {
  std::string consumer, cluster;
  bool admin = false;     ///< the Admin API (class kafka-admin, or the fallback); else the offsets topic
  bool fallback = false;  ///< the Admin API was chosen because the offsets topic could not be read
  std::string reason;     ///< why the topic could not be read (fallback, or fallback = "none"); empty if it can
};

struct metrics_sources {
  const group_evaluator* evaluator = nullptr;
  const offset_store* store = nullptr;
  std::vector<const offsets_reader*> readers;
  std::vector<const cluster_poller*> pollers;
  std::vector<const admin_source*> admin_sources;  ///< issue 13: [consumer.X] class kafka-admin
  std::vector<offsets_source_mode> offsets_sources;  ///< issue 13: every consumer's mode
  const request_counters* http = nullptr;
  std::uint64_t ws_clients = 0;
  std::uint64_t ws_slow_closes = 0;         ///< stream clients closed for a full outbox (1013)
  std::uint64_t ws_messages_sent = 0;       ///< stream frames written
  std::uint64_t ws_messages_coalesced = 0;  ///< status messages replaced by a newer one before sending
  std::uint64_t ws_messages_dropped = 0;    ///< messages discarded with a slow client's outbox
  std::vector<notifier_series> notifiers;    ///< notifier modules that send
  std::vector<actor_health> actors;         ///< every supervised actor
  std::vector<std::pair<std::string, cluster_freshness>> freshness;  ///< per cluster
};

std::string render_metrics(const metrics_sources& sources);

/// Escapes a label value (backslash, double quote, newline).
std::string escape_label(std::string_view v);

}  // namespace warren
