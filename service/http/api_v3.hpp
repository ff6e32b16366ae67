#pragma once
// Burrow's HTTP API v3 (plus Warren's additions) as one request → response function. Handlers
// only read actor state through const queries on the io thread; they never evaluate or block.
// Beast-free: the server session converts to and from these plain values.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "service/http/types.hpp"

namespace warren {
struct config;
class offset_store;
class group_evaluator;
class metrics_registry;
}  // namespace warren

namespace warren::http {

/// Warren's addition to `/v3/kafka/:cluster`: is the cluster reachable right now.
struct cluster_health {
  bool reachable = true;       ///< the poller's last metadata/offset request succeeded
  std::string last_error;      ///< the current outage's error
  std::int64_t down_since = 0;  ///< ms; 0 = not down
  bool offsets_caught_up = false;  ///< every offsets reader of the cluster finished its replay
};

/// What the handlers read. Pointers to actors may be null while a component is not configured.
struct api_context {
  const config* cfg = nullptr;
  std::string hostname;                    ///< `request.host` in every JSON body
  std::function<bool()> ready;             ///< /burrow/admin/ready
  offset_store* store = nullptr;           ///< topics, consumers, details; DELETE goes through it
  const group_evaluator* evaluator = nullptr;  ///< kept statuses
  std::function<std::string()> metrics;    ///< renders /metrics
  std::function<cluster_health(const std::string&)> health;  ///< per cluster
  std::function<void(const std::string& route, unsigned status)> count_request;  ///< metrics hook
};

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
