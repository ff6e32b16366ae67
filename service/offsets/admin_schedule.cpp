#include "service/offsets/admin_schedule.hpp"

#include <algorithm>
#include <unordered_set>

namespace warren {

admin_schedule::admin_schedule(admin_schedule_options o) : options_(o) {
  if (options_.period.count() < 1) options_.period = ms{1};
  if (options_.max_in_flight < 1) options_.max_in_flight = 1;
  if (options_.request_timeout.count() < 1) options_.request_timeout = ms{1};
  if (options_.backoff_initial.count() < 1) options_.backoff_initial = ms{1};
  options_.backoff_max = std::max(options_.backoff_max, options_.backoff_initial);
}

admin_schedule::ms admin_schedule::phase_of(const std::string& group, ms period) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : group) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return ms{static_cast<std::int64_t>(h % static_cast<std::uint64_t>(std::max<std::int64_t>(period.count(), 1)))};
}

void admin_schedule::set_groups(const std::vector<std::string>& groups, ms now) {
  std::unordered_set<std::string> listed(groups.begin(), groups.end());
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (listed.count(it->first)) {
      ++it;
      continue;
    }
    auto& e = it->second;
    if (e.ticket != 0) {
      --in_flight_;
      deadlines_.erase({e.deadline, it->first});
    } else {
      idle_.erase({e.due, it->first});
    }
    if (!e.tried) --untried_;
    it = groups_.erase(it);
  }
  for (const auto& g : listed) {
    auto [it, fresh] = groups_.try_emplace(g);
    if (!fresh) continue;
    it->second.phase = phase_of(g, options_.period);
    make_idle(g, it->second, now);  // first fetch at once; later ones at the group's phase
    ++untried_;
  }
}

void admin_schedule::make_idle(const std::string& group, entry& e, ms due) {
  e.due = due;
  idle_.emplace(due, group);
}

// The first time after `now` (strictly) that is the group's phase modulo the period. A fetch
// finished late in its slot still waits for the next slot, so rounds stay spread out.
admin_schedule::ms admin_schedule::next_phase_after(const entry& e, ms now) const {
  const auto p = options_.period.count();
  const auto base = now.count() - (now.count() % p) + e.phase.count();
  return ms{base > now.count() ? base : base + p};
}

admin_schedule::ms admin_schedule::backoff(int failures) const {
  auto d = options_.backoff_initial;
  for (int i = 1; i < failures && d < options_.backoff_max; ++i) d *= 2;
  return std::min(d, options_.backoff_max);
}

void admin_schedule::fail(const std::string& group, entry& e, ms now, ms retry_after) {
  ++e.failures;
  make_idle(group, e, now + std::max(backoff(e.failures), retry_after));
}

std::vector<admin_schedule::request> admin_schedule::due(ms now) {
  // Requests past their deadline give their slot back first.
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    auto node = deadlines_.extract(deadlines_.begin());
    auto& e = groups_.at(node.value().second);
    e.ticket = 0;
    --in_flight_;
    ++stats_.timed_out;
    if (!e.tried) {
      e.tried = true;
      --untried_;
    }
    fail(node.value().second, e, now, ms{0});
  }
  std::vector<request> out;
  // Most overdue first; ties by name (the set's order), so the order is deterministic.
  while (in_flight_ < static_cast<std::size_t>(options_.max_in_flight) && !idle_.empty() &&
         idle_.begin()->first <= now) {
    auto node = idle_.extract(idle_.begin());
    std::string& g = node.value().second;
    auto& e = groups_.at(g);
    e.ticket = next_ticket_++;
    e.deadline = now + options_.request_timeout;
    deadlines_.emplace(e.deadline, g);
    ++in_flight_;
    ++stats_.started;
    out.push_back({std::move(g), e.ticket});
  }
  return out;
}

bool admin_schedule::completed(const request& r, outcome o, ms now, ms retry_after) {
  auto it = groups_.find(r.group);
  if (it == groups_.end() || it->second.ticket != r.ticket || r.ticket == 0) {
    ++stats_.late;
    return false;
  }
  auto& e = it->second;
  deadlines_.erase({e.deadline, r.group});
  e.ticket = 0;
  --in_flight_;
  if (!e.tried) {
    e.tried = true;
    --untried_;
  }
  if (o == outcome::ok) {
    ++stats_.succeeded;
    e.failures = 0;
    make_idle(r.group, e, next_phase_after(e, now));
  } else {
    ++stats_.failed;
    if (o == outcome::throttled) ++stats_.throttled;
    fail(r.group, e, now, retry_after);
  }
  return true;
}

std::optional<admin_schedule::ms> admin_schedule::next_event() const {
  std::optional<ms> best;
  if (!deadlines_.empty()) best = deadlines_.begin()->first;
  // With every slot taken, only a deadline can free one (completions wake the caller anyway).
  const bool full = in_flight_ >= static_cast<std::size_t>(options_.max_in_flight);
  if (!full && !idle_.empty() && (!best || idle_.begin()->first < *best)) best = idle_.begin()->first;
  return best;
}

admin_schedule::ms admin_schedule::lag(ms now) const {
  if (idle_.empty() || idle_.begin()->first >= now) return ms{0};
  return now - idle_.begin()->first;
}

bool admin_schedule::round_complete() const { return untried_ == 0; }

}  // namespace warren
