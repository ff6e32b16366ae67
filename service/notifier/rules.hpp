#pragma once
// Burrow's notifier decision rules (reference §f, `core/internal/notifier/coordinator.go`), PURE:
// no clock, no I/O, no randomness (the caller supplies `now` and new incident ids). The
// coordinator actor (coordinator.hpp) calls apply() for a group whenever its status changes and
// when a re-notification of the group falls due (next_due()); Burrow calls the same logic on
// every poll of every group.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "service/evaluator/rules.hpp"

namespace warren::notifier {

/// The decision settings of one module (`[notifier.NAME]`).
struct module_rules {
  /// Lowest status that sends an open notification (1 OK, 2 WARN, 3 ERR).
  int threshold = 2;
  /// Only the first open notification of a group (until a close resets it).
  bool send_once = false;
  /// Send a close notification when an incident ends.
  bool send_close = false;
  /// Burrow rule 4: an open is sent only when more than this has passed since the last one.
  std::chrono::milliseconds send_interval{60000};
  /// Burrow re-evaluates a group at most once per `interval`, so repeated opens come no more often
  /// than that; re-notification timers use max(send_interval, interval).
  std::chrono::milliseconds interval{60000};
};

/// A group's open incident: Burrow's (ID, Start).
struct incident {
  std::string id;
  std::int64_t start_ms = 0;  ///< Unix ms
};

/// What Warren remembers per group (Burrow's `cgroup` + each module's LastNotify).
struct group_state {
  std::optional<incident> open;
  /// Per module (same index as the modules span): Unix ms of the last notification, unset when
  /// never notified or reset by a close.
  std::vector<std::optional<std::int64_t>> last_notify;
};

enum class action { open, close };

/// One notification to send.
struct decision {
  std::size_t module = 0;
  action kind = action::open;
  incident at;  ///< the incident (empty id / start 0 when none: threshold 1 on a healthy group)
};

/// Burrow's reply handling for one group with status `status` at `now_ms`, in Burrow's order:
/// a group without an open incident whose status is above OK opens one (`new_id()`, start = now);
/// then each module `allowed(i)` (group allow/deny list, cluster) applies, first match wins:
///   1. incident open, status OK, send-close  -> close; LastNotify reset
///   2. status < threshold                    -> nothing
///   3. send-once and LastNotify set          -> nothing
///   4. now - LastNotify > send-interval      -> open; LastNotify = now
/// finally, status OK clears the incident. NOTFOUND statuses are ignored (Burrow discards them).
/// `state.last_notify` is resized to the number of modules.
std::vector<decision> apply(std::span<const module_rules> modules, group_state& state, status_code status,
                            std::int64_t now_ms, const std::function<std::string()>& new_id,
                            const std::function<bool(std::size_t)>& allowed);

/// When apply() would next send an open for this group if its status stays `status` (the
/// re-notification timer), or nullopt when no module ever would. Uses max(send_interval,
/// interval) per module, strictly after it (Burrow's `>`).
std::optional<std::int64_t> next_due(std::span<const module_rules> modules, const group_state& state,
                                     status_code status, const std::function<bool(std::size_t)>& allowed);

/// Burrow's numeric group status (OK 1, WARN 2, ERR 3; partition-only codes count as ERR).
int severity(status_code s);

}  // namespace warren::notifier
