#include "service/evaluator/rules.hpp"

#include <algorithm>

namespace warren {

std::string_view to_string(status_code s) {
  switch (s) {
    case status_code::notfound: return "NOTFOUND";
    case status_code::ok: return "OK";
    case status_code::warn: return "WARN";
    case status_code::err: return "ERR";
    case status_code::stop: return "STOP";
    case status_code::stall: return "STALL";
    case status_code::rewind: return "REWIND";
  }
  return "UNKNOWN";
}

namespace {

using window_t = std::span<const consumer_offset>;

// Burrow rule 3 helper: the time since the last commit exceeds the span the window covers.
// Strictly greater; an out-of-order window (last.ts < first.ts) has a negative span.
bool stopped(window_t w, std::int64_t now_ms) {
  const std::int64_t first = w.front().timestamp;
  const std::int64_t last = w.back().timestamp;
  return now_ms - last > last - first;
}

// Burrow #303: a broker sample at or below the newest commit means the consumer was caught up recently.
bool recent_lag_zero(window_t w, std::span<const std::int64_t> broker) {
  const std::int64_t newest = w.back().offset;
  for (const auto b : broker)
    if (b <= newest) return true;
  return false;
}

// Burrow rule 2 helper: the first i ≥ 1 where the offset went backwards, or 0 when none.
std::size_t rewind_index(window_t w) {
  for (std::size_t i = 1; i < w.size(); ++i)
    if (w[i].offset < w[i - 1].offset) return i;
  return 0;
}

// The consumer got back to where it was before the (first) rewind.
bool rewind_recovered(window_t w, std::size_t i) {
  const std::int64_t before = w[i - 1].offset;
  for (std::size_t j = i; j < w.size(); ++j)
    if (w[j].offset >= before) return true;
  return false;
}

// Burrow rule 1: no stored lag at or below allowed-lag (null lags ignored).
bool lag_always_not_zero(window_t w, std::uint64_t allowed_lag) {
  for (const auto& s : w)
    if (s.lag && *s.lag <= allowed_lag) return false;
  return true;
}

// Burrow rule 4: every commit in the window has the same offset.
bool stalled(window_t w) {
  for (std::size_t i = 1; i < w.size(); ++i)
    if (w[i].offset != w[i - 1].offset) return false;
  return true;
}

// Burrow rule 5: walking the non-null lags, none is smaller than the previous one.
bool lag_not_decreasing(window_t w) {
  const std::uint64_t* last = nullptr;
  for (const auto& s : w) {
    if (!s.lag) continue;
    if (last && *s.lag < *last) return false;
    last = &*s.lag;
  }
  return true;
}

}  // namespace

status_code calculate_partition_status(std::span<const consumer_offset> window, std::span<const std::int64_t> broker,
                                       std::uint64_t current_lag, timestamp_ms now,
                                       std::uint64_t allowed_lag) {
  if (window.empty()) return status_code::ok;  // Burrow never gets here with an empty window
  if (current_lag <= allowed_lag) return status_code::ok;
  const std::int64_t now_ms = now.value / 1000 * 1000;  // Burrow: time.Now().Unix() * 1000
  // Burrow rule 3: stopped committing, unless caught up within the broker history.
  if (stopped(window, now_ms) && !recent_lag_zero(window, broker)) return status_code::stop;
  // Burrow rule 2: offsets went backwards and did not recover.
  if (const auto i = rewind_index(window); i > 0 && !rewind_recovered(window, i)) return status_code::rewind;
  // Burrow rule 1: a stored lag ≤ allowed-lag anywhere in the window suppresses rules 4 and 5.
  if (lag_always_not_zero(window, allowed_lag)) {
    if (stalled(window)) return status_code::stall;            // Burrow rule 4
    if (lag_not_decreasing(window)) return status_code::warn;  // Burrow rule 5
  }
  return status_code::ok;
}

partition_time_lag evaluate_time_lag(const group_view& view, const partition_view& p, status_code status,
                                     timestamp_ms now) {
  partition_time_lag out;
  const auto history = view.log_end_history(p);
  const auto broker = view.broker(p);
  if (!broker.empty()) out.log_end_offset = broker.back();
  out.log_start_offset = p.log_start;
  out.retention_ms = p.retention_ms;
  if (p.window_size == 0) return out;  // never committed: nothing behind
  const auto window = view.window(p);
  const std::int64_t committed = window.back().offset;
  out.time_lag = estimate_time_lag(history, committed, now.value);
  const auto consume = consume_rate(window);
  const auto produce = produce_rate(history, window.front().timestamp, window.back().timestamp);
  if (consume) out.consume_rate = static_cast<float>(*consume);
  if (produce) out.produce_rate = static_cast<float>(*produce);
  if (auto d = time_to_drain_s(p.current_lag, consume, produce, status == status_code::stop))
    out.time_to_drain_s = static_cast<float>(*d);
  if (auto r = unread_deleted_in_ms(p.current_lag, out.time_lag, p.retention_ms)) out.unread_deleted_in_ms = *r;
  out.records_lost = records_lost(committed, p.log_start);
  return out;
}

partition_status evaluate_partition(const group_view& view, const partition_view& p, timestamp_ms now,
                                    const evaluator_options& options) {
  partition_status out;
  out.topic = std::string(view.topic(p));
  out.partition = p.partition;
  out.owner = std::string(p.owner);
  out.client_id = std::string(p.client_id);
  out.status = status_code::ok;
  out.current_lag = p.current_lag;
  out.complete = 0.0f;
  out.warren = evaluate_time_lag(view, p, status_code::ok, now);
  if (p.ring_length == 0) return out;  // never committed: OK, complete 0

  // Burrow trims the leading nulls; when all are null one null slot remains (quirk), so the
  // trimmed length is max(window, 1) and complete is 1/intervals for an all-null ring.
  const std::uint32_t trimmed = p.window_size > 0 ? p.window_size : 1;
  out.complete = trimmed < p.ring_length ? static_cast<float>(trimmed) / static_cast<float>(p.ring_length) : 1.0f;
  if (p.window_size == 0) return out;  // start/end null; Burrow's rules see current lag 0 here → OK

  const auto window = view.window(p);
  out.start = window.front();
  out.end = window.back();
  if (out.complete >= options.minimum_complete)
    out.status = calculate_partition_status(window, view.broker(p), p.current_lag, now, options.allowed_lag);
  if (out.status == status_code::stop) out.warren = evaluate_time_lag(view, p, out.status, now);
  return out;
}

group_status evaluate_group(std::string_view cluster, std::string_view group, const group_view& view,
                            timestamp_ms now, const evaluator_options& options) {
  group_status out;
  out.cluster = std::string(cluster);
  out.group = std::string(group);
  out.status = status_code::ok;
  out.partition_count = view.partitions.size();  // never-committed partitions included, as in Burrow
  out.partitions.reserve(view.partitions.size());
  std::size_t complete_partitions = 0;
  std::size_t maxlag_index = 0;
  for (const auto& p : view.partitions) {
    auto ps = evaluate_partition(view, p, now, options);
    out.totallag += ps.current_lag;
    if (ps.status > out.status)  // STOP/STALL/REWIND become ERR; WARN never overrides ERR
      out.status = ps.status > status_code::err ? status_code::err : ps.status;
    // Burrow walks Go maps, so its maxlag tie-break is random. Warren walks (topic, partition)
    // order and keeps the first partition with the strictly greatest current lag.
    if (out.partitions.empty() || ps.current_lag > out.partitions[maxlag_index].current_lag)
      maxlag_index = out.partitions.size();
    if (ps.complete == 1.0f) ++complete_partitions;
    out.partitions.push_back(std::move(ps));
  }
  // Warren (issue 11): the group's time-lag aggregates.
  group_time_lag agg;
  agg.evaluated_at = now.value;
  bool drain_known = true;
  float drain = 0.0f;
  for (const auto& ps : out.partitions) {
    if (!ps.warren) continue;
    const auto& w = *ps.warren;
    if (w.time_lag.lag_ms >= 0) {
      agg.sum_time_lag_ms += w.time_lag.lag_ms;
      if (w.time_lag.lag_ms > agg.max_time_lag_ms) {  // strictly greater: first in (topic, partition) order
        agg.max_time_lag_ms = w.time_lag.lag_ms;
        agg.max_time_lag_lower_bound = w.time_lag.lower_bound;
        agg.max_time_lag_topic = ps.topic;
        agg.max_time_lag_partition = ps.partition;
      }
    }
    if (ps.current_lag > 0) {
      if (w.time_to_drain_s) drain = std::max(drain, *w.time_to_drain_s);
      else drain_known = false;
    }
    if (w.unread_deleted_in_ms != partition_time_lag::none &&
        (agg.unread_deleted_in_ms == partition_time_lag::none || w.unread_deleted_in_ms < agg.unread_deleted_in_ms))
      agg.unread_deleted_in_ms = w.unread_deleted_in_ms;
    if (w.records_lost > 0) ++agg.data_loss_partitions;
  }
  if (drain_known) agg.time_to_drain_s = drain;
  out.warren = std::move(agg);
  if (!out.partitions.empty()) out.maxlag = out.partitions[maxlag_index];
  out.complete = out.partition_count > 0
                     ? static_cast<float>(complete_partitions) / static_cast<float>(out.partition_count)
                     : 0.0f;
  return out;
}

group_status not_found_status(std::string_view cluster, std::string_view group) {
  group_status out;
  out.cluster = std::string(cluster);
  out.group = std::string(group);
  out.status = status_code::notfound;
  out.complete = 1.0f;
  return out;
}

group_status only_problems(const group_status& all) {
  group_status out;
  out.cluster = all.cluster;
  out.group = all.group;
  out.status = all.status;
  out.complete = all.complete;
  out.partition_count = all.partition_count;
  out.maxlag = all.maxlag;
  out.totallag = all.totallag;
  out.warren = all.warren;
  for (const auto& p : all.partitions)
    if (p.status > status_code::ok) out.partitions.push_back(p);
  return out;
}

}  // namespace warren
