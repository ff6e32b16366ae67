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
    if (it->second.ticket != 0) --in_flight_;
    if (!it->second.tried) --untried_;
    it = groups_.erase(it);
  }
  for (const auto& g : listed) {
    auto [it, fresh] = groups_.try_emplace(g);
    if (!fresh) continue;
    it->second.due = now;  // first fetch at once; later ones at the group's phase
    it->second.phase = phase_of(g, options_.period);
    ++untried_;
  }
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

void admin_schedule::fail(entry& e, ms now, ms retry_after) {
  ++e.failures;
  e.due = now + std::max(backoff(e.failures), retry_after);
}

std::vector<admin_schedule::request> admin_schedule::due(ms now) {
  // Requests past their deadline give their slot back first.
  for (auto& [g, e] : groups_) {
    if (e.ticket == 0 || now < e.deadline) continue;
    e.ticket = 0;
    --in_flight_;
    ++stats_.timed_out;
    if (!e.tried) {
      e.tried = true;
      --untried_;
    }
    fail(e, now, ms{0});
  }
  std::vector<request> out;
  const auto free = static_cast<std::size_t>(options_.max_in_flight) - std::min(in_flight_, static_cast<std::size_t>(options_.max_in_flight));
  if (free == 0) return out;
  std::vector<std::pair<ms, const std::string*>> ready;
  for (const auto& [g, e] : groups_)
    if (e.ticket == 0 && e.due <= now) ready.emplace_back(e.due, &g);
  // Most overdue first; ties by name so the order is deterministic.
  auto by_due = [](const auto& a, const auto& b) { return a.first != b.first ? a.first < b.first : *a.second < *b.second; };
  if (ready.size() > free) {
    std::partial_sort(ready.begin(), ready.begin() + static_cast<std::ptrdiff_t>(free), ready.end(), by_due);
    ready.resize(free);
  } else {
    std::sort(ready.begin(), ready.end(), by_due);
  }
  for (const auto& [d, g] : ready) {
    auto& e = groups_.at(*g);
    e.ticket = next_ticket_++;
    e.deadline = now + options_.request_timeout;
    ++in_flight_;
    ++stats_.started;
    out.push_back({*g, e.ticket});
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
  e.ticket = 0;
  --in_flight_;
  if (!e.tried) {
    e.tried = true;
    --untried_;
  }
  if (o == outcome::ok) {
    ++stats_.succeeded;
    e.failures = 0;
    e.due = next_phase_after(e, now);
  } else {
    ++stats_.failed;
    if (o == outcome::throttled) ++stats_.throttled;
    fail(e, now, retry_after);
  }
  return true;
}

std::optional<admin_schedule::ms> admin_schedule::next_event() const {
  std::optional<ms> best;
  const bool full = in_flight_ >= static_cast<std::size_t>(options_.max_in_flight);
  for (const auto& [g, e] : groups_) {
    // With every slot taken, only a deadline can free one (completions wake the caller anyway).
    if (e.ticket == 0 && full) continue;
    ms t = e.ticket != 0 ? e.deadline : e.due;
    if (!best || t < *best) best = t;
  }
  return best;
}

admin_schedule::ms admin_schedule::lag(ms now) const {
  ms worst{0};
  for (const auto& [g, e] : groups_)
    if (e.ticket == 0 && e.due < now) worst = std::max(worst, now - e.due);
  return worst;
}

bool admin_schedule::round_complete() const { return untried_ == 0; }

}  // namespace warren
