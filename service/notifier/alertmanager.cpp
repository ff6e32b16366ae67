#include "service/notifier/alertmanager.hpp"

#include <boost/json.hpp>
#include <ctime>

namespace warren::notifier {

std::string rfc3339_ms(std::int64_t unix_ms) {
  std::time_t secs = static_cast<std::time_t>(unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000);
  int ms = static_cast<int>(unix_ms - static_cast<std::int64_t>(secs) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

namespace {
boost::json::object alert(const alertmanager_alert& a, const std::string& status, std::int64_t ends_at_ms,
                          std::int64_t now_ms) {
  boost::json::object labels{{"alertname", alertmanager_alertname},
                             {"cluster", a.cluster},
                             {"group", a.group},
                             {"status", status}};
  std::string summary = "Kafka consumer group " + a.group + " on cluster " + a.cluster + " is " + status;
  if (ends_at_ms) summary = "Kafka consumer group " + a.group + " on cluster " + a.cluster + " is no longer " + status;
  boost::json::object annotations{{"summary", summary}};
  if (!a.description.empty()) annotations["description"] = a.description;
  boost::json::object o{{"labels", std::move(labels)},
                        {"annotations", std::move(annotations)},
                        {"startsAt", rfc3339_ms(a.starts_at_ms ? a.starts_at_ms : now_ms)}};
  if (ends_at_ms) o["endsAt"] = rfc3339_ms(ends_at_ms);
  return o;
}
}  // namespace

std::string alertmanager_body(const alertmanager_alert& a, std::int64_t now_ms) {
  boost::json::array out;
  if (!a.resolve_status.empty() && a.resolve_status != a.status) out.push_back(alert(a, a.resolve_status, now_ms, now_ms));
  out.push_back(alert(a, a.status, a.ends_at_ms, now_ms));
  return boost::json::serialize(out);
}

}  // namespace warren::notifier
