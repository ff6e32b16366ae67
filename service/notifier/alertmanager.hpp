#pragma once
// The `alertmanager` notifier class (Warren's addition): posts to Alertmanager's
// `POST /api/v2/alerts` (a JSON array of postable alerts) through the http transport. One alert
// per group and status: labels {alertname, cluster, group, status}, annotations {summary,
// description (template-open/-close output, when configured)}, startsAt = incident start,
// endsAt = now on close. Alertmanager identifies an alert by its labels, so when a group's status
// label changes (WARN -> ERR) the previous alert is resolved (endsAt = now) in the same post.
// Opens are re-posted every send-interval while the incident lasts, which keeps the alert firing
// (Alertmanager resolves alerts not re-posted within its resolve_timeout). PURE.
#include <cstdint>
#include <string>
#include <string_view>

namespace warren::notifier {

inline constexpr std::string_view alertmanager_alertname = "KafkaConsumerGroupStatus";

struct alertmanager_alert {
  std::string cluster, group;
  std::string status;           ///< label: "WARN", "ERR"
  std::string description;      ///< rendered template, may be empty
  std::int64_t starts_at_ms = 0;
  std::int64_t ends_at_ms = 0;  ///< 0 = not set (firing)
  /// A previous status label to resolve in the same post ("" = none).
  std::string resolve_status;
};

/// The JSON array to post.
std::string alertmanager_body(const alertmanager_alert& a, std::int64_t now_ms);

/// RFC 3339 UTC with milliseconds: 2024-05-01T12:00:00.123Z.
std::string rfc3339_ms(std::int64_t unix_ms);

}  // namespace warren::notifier
