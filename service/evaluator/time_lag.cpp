#include "service/evaluator/time_lag.hpp"

#include <algorithm>

namespace warren {

std::string_view to_string(time_lag_method m) {
  switch (m) {
    case time_lag_method::none: return "none";
    case time_lag_method::caught_up: return "caught_up";
    case time_lag_method::observed_history: return "observed_history";
    case time_lag_method::exact: return "exact";
  }
  return "none";
}

time_lag_estimate estimate_time_lag(std::span<const history_point> h, std::int64_t committed, std::int64_t now_ms) {
  time_lag_estimate out;
  if (h.empty()) return out;
  if (committed >= h.back().offset) {
    out.lag_ms = 0;
    out.max_error_ms = 0;
    out.method = time_lag_method::caught_up;
    return out;
  }
  out.method = time_lag_method::observed_history;
  if (committed < h.front().offset) {
    // A.5: never extrapolate backwards. The record at C existed at the oldest observation already.
    out.lag_ms = std::max<std::int64_t>(0, now_ms - h.front().time_ms);
    out.lower_bound = true;
    return out;
  }
  // l = the newest point with offset ≤ C; r = the next one (offset > C, exists since C < newest).
  auto r_it = std::upper_bound(h.begin(), h.end(), committed,
                               [](std::int64_t c, const history_point& p) { return c < p.offset; });
  const history_point& r = *r_it;
  const history_point& l = *(r_it - 1);
  // Records l.offset .. r.offset−1 were appended in (l.time, r.time]; the one at C is number
  // C − l.offset + 1 of r.offset − l.offset, spread evenly.
  const double span = static_cast<double>(r.time_ms - l.time_ms);
  const double frac = static_cast<double>(committed - l.offset + 1) / static_cast<double>(r.offset - l.offset);
  const double appended = static_cast<double>(l.time_ms) + frac * span;
  out.lag_ms = std::max<std::int64_t>(0, static_cast<std::int64_t>(static_cast<double>(now_ms) - appended + 0.5));
  out.max_error_ms = r.time_ms - l.time_ms;
  return out;
}

std::optional<double> log_end_at(std::span<const history_point> h, std::int64_t t) {
  if (h.empty()) return std::nullopt;
  if (t <= h.front().time_ms) return static_cast<double>(h.front().offset);
  if (t >= h.back().time_ms) return static_cast<double>(h.back().offset);
  auto r_it = std::upper_bound(h.begin(), h.end(), t,
                               [](std::int64_t v, const history_point& p) { return v < p.time_ms; });
  const history_point& r = *r_it;
  const history_point& l = *(r_it - 1);
  const double frac = static_cast<double>(t - l.time_ms) / static_cast<double>(r.time_ms - l.time_ms);
  return static_cast<double>(l.offset) + frac * static_cast<double>(r.offset - l.offset);
}

std::optional<double> consume_rate(std::span<const consumer_offset> w) {
  if (w.size() < 2) return std::nullopt;
  const std::int64_t dt = w.back().timestamp - w.front().timestamp;
  if (dt <= 0) return std::nullopt;
  return static_cast<double>(w.back().offset - w.front().offset) * 1000.0 / static_cast<double>(dt);
}

std::optional<double> produce_rate(std::span<const history_point> h, std::int64_t from_ms, std::int64_t to_ms) {
  if (h.size() < 2) return std::nullopt;
  std::int64_t a = std::max(from_ms, h.front().time_ms);
  std::int64_t b = std::min(to_ms, h.back().time_ms);
  if (b <= a) {
    a = h.front().time_ms;
    b = h.back().time_ms;
  }
  const double d = *log_end_at(h, b) - *log_end_at(h, a);
  return d * 1000.0 / static_cast<double>(b - a);
}

std::optional<double> time_to_drain_s(std::uint64_t lag, std::optional<double> consume, std::optional<double> produce,
                                      bool stopped) {
  if (lag == 0) return 0.0;
  if (stopped || !consume || !produce) return std::nullopt;
  const double net = *consume - *produce;
  if (!(net > 0)) return std::nullopt;
  return static_cast<double>(lag) / net;
}

std::optional<std::int64_t> unread_deleted_in_ms(std::uint64_t lag, const time_lag_estimate& t,
                                                 std::int64_t retention_ms) {
  if (lag == 0 || retention_ms < 0 || t.lag_ms < 0) return std::nullopt;
  return retention_ms - t.lag_ms;
}

std::uint64_t records_lost(std::int64_t committed, std::int64_t log_start) {
  if (log_start < 0 || committed >= log_start) return 0;
  return static_cast<std::uint64_t>(log_start) - static_cast<std::uint64_t>(committed);
}

}  // namespace warren
