#pragma once
// Lag in time, time to drain and retention risk (issue 11; peers.md Appendix A). PURE and
// deterministic: takes the log-end history (storage/log_end_history.hpp), commits and `now`; no
// clock, no I/O, any thread.
//
// Time lag is the age of the oldest record the group has not consumed, the record at the committed
// offset C (A.1's first quantity), estimated from observations of the log end (A.5's "observed
// history"): the record was appended after the newest history point with offset ≤ C (l) and no
// later than the next point (r), so `now − t*` with t* interpolated linearly in (l.time, r.time] is
// off by at most r.time − l.time (reported as max_error_ms). Never extrapolated: when C is below
// the oldest point, the record existed already at that point's time, and `now − oldest.time` is
// reported as a lower bound. When C ≥ the newest point the value is 0.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "service/storage/log_end_history.hpp"
#include "service/storage/sample_ring.hpp"

namespace warren {

enum class time_lag_method : std::uint8_t {
  none,              ///< unknown: no commit or no log-end observation
  caught_up,         ///< C ≥ newest log end: 0
  observed_history,  ///< from the log-end history (interpolated, or a lower bound)
  exact,             ///< record timestamp at C (reserved, not produced)
};
/// "none", "caught_up", "observed_history", "exact".
std::string_view to_string(time_lag_method m);

struct time_lag_estimate {
  std::int64_t lag_ms = -1;        ///< −1 = unknown
  std::int64_t max_error_ms = -1;  ///< bound on |lag_ms − true|; −1 = none (lower bound or unknown)
  time_lag_method method = time_lag_method::none;
  bool lower_bound = false;
  friend bool operator==(const time_lag_estimate&, const time_lag_estimate&) = default;
};

/// Time lag of committed offset `committed` at `now_ms` from `history` (oldest → newest).
time_lag_estimate estimate_time_lag(std::span<const history_point> history, std::int64_t committed,
                                    std::int64_t now_ms);

/// The log end at `time_ms`, interpolated between history points; clamped to the first / last
/// point outside the history. nullopt for an empty history.
std::optional<double> log_end_at(std::span<const history_point> history, std::int64_t time_ms);

/// Records per second committed across the window (newest − oldest commit offset over their commit
/// timestamps). nullopt with fewer than two commits or no time between them. Negative after a rewind.
std::optional<double> consume_rate(std::span<const consumer_offset> window);

/// Records per second appended to the log over [from_ms, to_ms] clipped to the history; over the
/// whole history when that leaves no time. nullopt without two points.
std::optional<double> produce_rate(std::span<const history_point> history, std::int64_t from_ms, std::int64_t to_ms);

/// Seconds until `lag` records are gone at the net rate (consume − produce): 0 when lag is 0;
/// nullopt when a rate is unknown, the consumer stopped, or it is not faster than the producer.
std::optional<double> time_to_drain_s(std::uint64_t lag, std::optional<double> consume, std::optional<double> produce,
                                      bool stopped);

/// Retention risk: ms until the oldest unread record (age `time_lag`) passes `retention_ms`
/// (≤ 0: already eligible for deletion). nullopt when nothing is unread (lag 0), retention is
/// infinite or unknown (< 0), or the time lag is unknown.
std::optional<std::int64_t> unread_deleted_in_ms(std::uint64_t lag, const time_lag_estimate& time_lag,
                                                 std::int64_t retention_ms);

/// Records below the log start that the group never read: log_start − committed when committed <
/// log_start (and log_start known, ≥ 0), else 0.
std::uint64_t records_lost(std::int64_t committed, std::int64_t log_start);

}  // namespace warren
