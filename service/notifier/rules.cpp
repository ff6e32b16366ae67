#include "service/notifier/rules.hpp"

#include <algorithm>

namespace warren::notifier {

// Burrow compares StatusConstant values as numbers (OK 1, WARN 2, ERR 3); group statuses never
// carry the partition-only codes, which are larger anyway.
int severity(status_code s) { return static_cast<int>(s); }

std::vector<decision> apply(std::span<const module_rules> modules, group_state& state, status_code status,
                            std::int64_t now_ms, const std::function<std::string()>& new_id,
                            const std::function<bool(std::size_t)>& allowed) {
  std::vector<decision> out;
  state.last_notify.resize(modules.size());
  // Burrow: NOTFOUND replies are discarded.
  if (status == status_code::notfound) return out;
  // Burrow: a group in trouble without an open incident opens one.
  if (!state.open && status > status_code::ok) state.open = incident{new_id(), now_ms};
  const incident current = state.open.value_or(incident{});
  for (std::size_t i = 0; i < modules.size(); ++i) {
    if (allowed && !allowed(i)) continue;
    const auto& m = modules[i];
    auto& last = state.last_notify[i];
    // Burrow rule 1: the incident ended and the module wants to hear about it.
    if (state.open && status == status_code::ok && m.send_close) {
      out.push_back({i, action::close, current});
      last.reset();
      continue;
    }
    // Burrow rule 2: below the module's threshold.
    if (severity(status) < m.threshold) continue;
    // Burrow rule 3: send-once and already notified.
    if (m.send_once && last) continue;
    // Burrow rule 4: strictly more than send-interval since the last open (never notified = due).
    if (!last || now_ms - *last > m.send_interval.count()) {
      out.push_back({i, action::open, current});
      last = now_ms;
    }
  }
  // Burrow: a healthy group has no incident.
  if (status == status_code::ok) state.open.reset();
  return out;
}

std::optional<std::int64_t> next_due(std::span<const module_rules> modules, const group_state& state,
                                     status_code status, const std::function<bool(std::size_t)>& allowed) {
  std::optional<std::int64_t> due;
  if (status == status_code::notfound) return due;
  for (std::size_t i = 0; i < modules.size(); ++i) {
    if (allowed && !allowed(i)) continue;
    const auto& m = modules[i];
    if (severity(status) < m.threshold) continue;
    std::optional<std::int64_t> last = i < state.last_notify.size() ? state.last_notify[i] : std::nullopt;
    if (!last) continue;  // never notified: apply() sends at once, nothing to wait for
    if (m.send_once) continue;
    auto period = std::max(m.send_interval, m.interval).count();
    std::int64_t at = *last + period + 1;  // Burrow's `>`: strictly after
    if (!due || at < *due) due = at;
  }
  return due;
}

}  // namespace warren::notifier
