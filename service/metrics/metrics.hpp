#pragma once
// Prometheus text exposition (format 0.0.4). Renders snapshots of the actors' state on the io
// thread, from the evaluator's kept statuses (no evaluation per scrape), in up to three naming
// sets ([warren] metrics): "burrow" (Burrow's burrow_kafka_* gauges with Burrow's names and labels),
// "kle" (kafka-lag-exporter's kafka_consumergroup_* / kafka_partition_* names and labels, so its
// Grafana dashboards work) and "warren" (Warren's per-group and per-topic series: time lag, drain,
// data loss, partition count, completeness, retention). Warren's process series (warren_evaluation_*,
// warren_store_*, warren_http_*, warren_actor_*, ...) are always exported.
//
// A scrape is streamed (scrape_metrics): the per-group families are rendered family by family
// straight from the kept statuses into batches handed to the HTTP server (http::body_source), in
// slices of a few ms, so a scrape of a million partitions never holds the io thread for long and
// holds one batch of text, not the body. Cluster- and process-level series are rendered at the end.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "service/core/health.hpp"
#include "service/http/types.hpp"

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

/// Issue 14: one consumer's fleet status topic (fleet_stats, copied by the app).
struct fleet_series {
  std::string consumer, cluster, topic;
  bool ready = false;   ///< created or found, reader running
  bool synced = false;  ///< read to the end offsets of the last gain
  std::uint64_t published = 0, delivered = 0, delivery_failures = 0, produce_errors = 0;
  std::uint64_t records_read = 0, tombstones_read = 0, decode_errors = 0;
  std::size_t remote_groups = 0;
  std::uint64_t lag_scan_slices = 0;  ///< io-thread turns of the owner's lag-change scans
};

struct metrics_sources {
  const group_evaluator* evaluator = nullptr;
  const offset_store* store = nullptr;
  std::vector<const offsets_reader*> readers;
  std::vector<const cluster_poller*> pollers;
  std::vector<const admin_source*> admin_sources;  ///< issue 13: [consumer.X] class kafka-admin
  std::vector<offsets_source_mode> offsets_sources;  ///< issue 13: every consumer's mode
  std::vector<fleet_series> fleets;                  ///< issue 14: consumers with a cluster-group
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

/// Naming sets, a bit mask ([warren] metrics).
enum metric_set : unsigned { metric_set_burrow = 1u, metric_set_kle = 2u, metric_set_warren = 4u };
inline constexpr unsigned all_metric_sets = metric_set_burrow | metric_set_kle | metric_set_warren;
/// The set named "burrow", "kle" or "warren"; 0 for any other name.
unsigned metric_set_named(std::string_view name);
/// The union of the named sets (names as validated by the config loader; unknown names add nothing).
unsigned metric_sets_of(const std::vector<std::string>& names);

/// A streamed scrape: for each enabled per-group family its header and the samples of every kept
/// status in (cluster, group) order, rendered into batches of about 1 MB in io-thread slices of a
/// few ms; then `tail()`, called once when the group families are done (render_metrics_tail and
/// whatever else is rendered fresh). Nothing is cached between scrapes. `ev` and whatever `tail`
/// reads must outlive the scrape's last next() call. Several scrapes may run at once.
std::shared_ptr<http::body_source> scrape_metrics(const group_evaluator* ev, unsigned sets,
                                                  std::function<std::string()> tail);

/// Everything but the per-group families, rendered fresh: the evaluator's counters, the store's
/// per-topic and per-cluster series, readers, pollers, actors, HTTP, WebSocket, notifiers.
std::string render_metrics_tail(const metrics_sources& sources, unsigned sets = all_metric_sets);

/// The whole exposition at once: what scrape_metrics streams, in one string (tests, benches).
std::string render_metrics(const metrics_sources& sources, unsigned sets = all_metric_sets);

/// Escapes a label value (backslash, double quote, newline).
std::string escape_label(std::string_view v);

}  // namespace warren
