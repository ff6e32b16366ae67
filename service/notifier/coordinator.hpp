#pragma once
// coordinator (actor): Warren's notifier coordinator. Subscribes to the evaluator's change feed
// and applies Burrow's decision rules (rules.hpp, reference §f) per module the moment a group's
// status changes, instead of Burrow's poll every `interval`; a timer re-applies them to groups
// whose next open notification falls due (send-interval re-notifications, threshold-1
// heartbeats, Alertmanager re-posts). Each decision is rendered with the module's templates and
// queued into that module's sender (sender.hpp), which delivers it on its own loop: a slow or
// failing receiver delays only its own module, never the evaluator, the API or other modules.
//
// Burrow semantics kept: incidents (random UUID id, start time) open when a group goes above OK
// and end when it is OK again; per-module group-allowlist/-denylist (RE2, Go syntax) and cluster;
// templates get Burrow's data with `.Result` as Burrow's notifier requests it (only partitions
// above OK). A group that disappears (deleted, expired) is forgotten without a close, as Burrow
// forgets it at its next refresh. Differences: no ZooKeeper lock (one Warren instance notifies);
// re-notifications come every max(send-interval, interval) (Burrow's poll granularity);
// deliveries are retried (Burrow only logs failures).
//
// Template files were checked at config load; the constructor parses them again and throws
// std::runtime_error when they no longer load (start-up failure). io thread only.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "service/core/async.hpp"
#include "service/core/clock.hpp"
#include "service/fleet/status_record.hpp"
#include "service/notifier/sender.hpp"

namespace warren {
struct config;
class supervisor;
class group_evaluator;
}  // namespace warren

namespace warren::notifier {

/// One module as /metrics shows it.
struct module_report {
  std::string name;
  std::string class_name;
  const sender_stats* stats = nullptr;
  std::size_t queued = 0;
  std::size_t capacity = 0;
};

struct coordinator_options {
  /// Per-module queue bound (drop oldest beyond it).
  std::size_t queue_capacity = 1024;
  retry_policy retry;
  /// Threads for blocking deliveries (SMTP through libcurl).
  int blocking_threads = 2;
};

/// Issue 14 part 3, notify once across a fleet: only the owner of a group notifies for it (the
/// evaluator only holds the groups this instance owns), and a group new to this instance (gained in
/// a rebalance, or at start) first adopts the notifier state its previous owner published (open
/// incident id and start, last notification per module), so a handed-over incident is neither sent
/// again nor lost.
struct fleet_link {
  /// False while the cluster's status topic is not read far enough to adopt handed-over state:
  /// groups new to this instance wait (their events are held and retried every 200 ms).
  std::function<bool(const std::string& cluster)> ready;
  /// The notifier state published for a group by its owner, if any.
  std::function<std::optional<fleet::notifier_record>(const std::string& cluster, const std::string& group)> adopt;
  /// Called after a group's notifier state changed (incident opened or ended, a notification sent).
  std::function<void(const std::string& cluster, const std::string& group)> changed;
};

class coordinator {
 public:
  coordinator(asio::any_io_executor ex, supervisor& sup, group_evaluator& evaluator, const config& cfg,
              coordinator_options options = {}, const clock& clk = clock::system());
  ~coordinator();
  coordinator(const coordinator&) = delete;
  coordinator& operator=(const coordinator&) = delete;

  void start();
  /// Stops the loops (deliveries in flight are aborted); queued notifications are discarded.
  task<void> stop();

  /// Before start(): connects the coordinator to the fleet (see fleet_link).
  void link_fleet(fleet_link link);
  /// The state kept for a group, modules by name (what the fleet publishes); nullopt = none.
  std::optional<fleet::notifier_record> state_of(const std::string& cluster, const std::string& group) const;
  /// Groups whose first evaluation waits for the fleet (fleet_link::ready).
  std::size_t held() const;

  /// Modules that send (null modules are not listed).
  std::vector<module_report> report() const;
  /// Groups the coordinator keeps state for.
  std::size_t groups() const;
  /// Groups with an open incident.
  std::size_t open_incidents() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace warren::notifier
