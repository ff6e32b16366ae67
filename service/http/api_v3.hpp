#pragma once
// Burrow's HTTP API v3 (plus Warren's additions) as one request → response function. Handlers
// only read actor state through const queries on the io thread; they never evaluate or block.
// Beast-free: the server session converts to and from these plain values.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "service/core/health.hpp"
#include "service/http/types.hpp"

namespace warren {
struct config;
class offset_store;
class group_evaluator;
class metrics_registry;
}  // namespace warren
namespace warren::fleet {
class fleet_status;
}

namespace warren::http {

/// Warren's addition to `/v3/kafka/:cluster`: is the cluster reachable right now.
struct cluster_health {
  bool reachable = true;       ///< the poller's last metadata/offset request succeeded
  std::string last_error;      ///< the current outage's error
  std::int64_t down_since = 0;  ///< ms; 0 = not down
  bool offsets_caught_up = false;  ///< every offsets reader of the cluster finished its replay
  std::int64_t replay_position = 0;  ///< summed over the cluster's offsets readers
  std::int64_t replay_target = 0;
  cluster_freshness freshness;       ///< rendered as `warren` on status answers while stale
  bool admin_source = false;               ///< issue 13: a kafka-admin consumer polls this cluster
  std::int64_t admin_schedule_lag_ms = 0;  ///< how far its offset fetches are behind schedule
  /// Issue 13: per [consumer.X] of the cluster, the committed-offsets source it uses now.
  struct offsets_source {
    std::string consumer;
    std::string mode;       ///< "offsets-topic" or "kafka-admin"
    bool fallback = false;  ///< kafka-admin chosen automatically: the offsets topic could not be read
    std::string reason;     ///< why the topic could not be read; empty when it can
    std::string cluster_group;  ///< issue 14: the group sharing the offsets topic; empty = none
    std::vector<std::int32_t> owned_partitions;  ///< issue 14: offsets-topic partitions read by this instance
    /// Issue 14 part 2: the consumer's status topic (cluster-group only; empty topic = none).
    struct status_topic_health {
      std::string topic;
      bool ready = false;       ///< created or found; read and written
      std::string error;        ///< the last creation/authorisation failure
      bool synced = false;      ///< read up to its end as of the last gain
      std::string owner_id, owner_url;  ///< this instance as the fleet knows it
      std::uint64_t published = 0, delivered = 0, delivery_failures = 0, records_read = 0, decode_errors = 0;
      std::size_t remote_groups = 0;
      std::int32_t partitions = 0;
    } status_topic;
  };
  std::vector<offsets_source> offsets_sources;
};

/// What the handlers read. Pointers to actors may be null while a component is not configured.
struct api_context {
  const config* cfg = nullptr;
  std::string hostname;                    ///< `request.host` in every JSON body
  std::function<bool()> ready;             ///< /burrow/admin/ready
  offset_store* store = nullptr;           ///< topics, consumers, details; DELETE goes through it
  const group_evaluator* evaluator = nullptr;  ///< kept statuses
  std::function<std::string()> metrics;    ///< renders /metrics (when metrics_stream is not set)
  /// A streamed /metrics body (metrics/metrics.hpp scrape_metrics); preferred over `metrics`.
  std::function<std::shared_ptr<body_source>()> metrics_stream;
  std::function<cluster_health(const std::string&)> health;  ///< per cluster
  std::function<void(const std::string& route, unsigned status)> count_request;  ///< metrics hook
  std::function<std::vector<actor_health>()> actors;  ///< every supervised actor (/v3/health)
  /// Test-only fault injection (POST /v3/admin/fault/:actor/:cluster), set only when the process
  /// was started with WARREN_FAULT_INJECTION=1. Returns false when no such actor.
  /// `cluster` is "" for a process-wide actor (the URL spells it `-` or `_`).
  std::function<bool(const std::string& actor, const std::string& cluster)> inject_fault;
  /// Issue 14 part 2: the fleet (status topic) of a cluster, or null when it has none. With one,
  /// groups owned by other instances are answered from the topic (list, /status, /lag) or forwarded
  /// to their owner (/consumer/:group), and answers name the owner.
  std::function<const fleet::fleet_status*(const std::string& cluster)> fleet;
  /// Process start, for `uptime_s` in /v3/health.
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

/// /v3/health's verdict (see proto/http/openapi.yaml, HealthResponse):
/// - down: an actor is down, or a configured cluster is unreachable;
/// - degraded: nothing is down, but a cluster's data is not fresh (an offsets reader is still
///   replaying, or the cluster reports itself stale);
/// - ok: otherwise. ok answers 200, degraded and down 503.
enum class health_verdict { ok, degraded, down };
std::string_view to_string(health_verdict v);

struct health_report {
  health_verdict verdict = health_verdict::ok;
  std::vector<std::string> reasons;  ///< why not ok, one line per cause, clusters then actors
};

/// PURE: the verdict for these clusters (name, health) and actors.
health_report evaluate_health(const std::vector<std::pair<std::string, cluster_health>>& clusters,
                              const std::vector<actor_health>& actors);

class api_v3 {
 public:
  explicit api_v3(api_context ctx);
  ~api_v3();
  api_v3(const api_v3&) = delete;
  api_v3& operator=(const api_v3&) = delete;

  response handle(const request& req);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace warren::http
