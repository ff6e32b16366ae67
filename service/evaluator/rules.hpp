#pragma once
// Evaluation rules: Burrow's caching evaluator (reference §d), PURE and deterministic. Takes the
// storage model's group_view and `now`; no clock, no I/O, callable from any thread on its inputs.
#include <climits>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "service/core/ids.hpp"
#include "service/evaluator/time_lag.hpp"
#include "service/storage/model.hpp"

namespace warren {

/// Burrow StatusConstant; the numeric values are Burrow's (Prometheus exposes them).
enum class status_code : std::uint8_t { notfound = 0, ok, warn, err, stop, stall, rewind };

/// "NOTFOUND", "OK", "WARN", "ERR", "STOP", "STALL", "REWIND".
std::string_view to_string(status_code s);

/// Evaluator settings (Burrow `[evaluator.*]`).
struct evaluator_options {
  /// Partitions whose window is less complete than this are reported OK (`minimum-complete`, 0..1).
  float minimum_complete = 0.0f;
  /// Current lag at or below this is OK; stored lags at or below it count as "caught up" (`allowed-lag`).
  std::uint64_t allowed_lag = 0;
};

/// Warren (issue 11): the `warren` object of a partition status (proto PartitionTimeLag).
struct partition_time_lag {
  static constexpr std::int64_t none = INT64_MIN;
  std::int64_t log_end_offset = -1;    ///< newest log-end sample; −1 = none
  std::int64_t log_start_offset = -1;  ///< −1 = not known
  time_lag_estimate time_lag;
  std::optional<float> consume_rate;  ///< records/s
  std::optional<float> produce_rate;  ///< records/s
  std::optional<float> time_to_drain_s;
  std::int64_t retention_ms = retention_unknown;  ///< −1 infinite
  std::int64_t unread_deleted_in_ms = none;       ///< none = not defined
  std::uint64_t records_lost = 0;                 ///< > 0 = data loss
  friend bool operator==(const partition_time_lag&, const partition_time_lag&) = default;
};

/// Warren (issue 11): the `warren` object of a group status (proto GroupTimeLag), over all partitions.
struct group_time_lag {
  std::int64_t evaluated_at = 0;  ///< ms: the `now` of the evaluation
  std::int64_t max_time_lag_ms = -1;  ///< −1 = none known
  bool max_time_lag_lower_bound = false;
  std::string max_time_lag_topic;
  std::int32_t max_time_lag_partition = -1;
  std::int64_t sum_time_lag_ms = 0;
  std::optional<float> time_to_drain_s;
  std::int64_t unread_deleted_in_ms = partition_time_lag::none;
  std::uint32_t data_loss_partitions = 0;
  friend bool operator==(const group_time_lag&, const group_time_lag&) = default;
};

/// JSON PartitionStatus.
struct partition_status {
  std::string topic;
  std::int32_t partition = 0;
  std::string owner;
  std::string client_id;
  status_code status = status_code::ok;
  std::optional<consumer_offset> start;  ///< oldest stored commit
  std::optional<consumer_offset> end;    ///< newest stored commit
  std::uint64_t current_lag = 0;
  float complete = 0.0f;  ///< float32 as in Burrow
  std::optional<partition_time_lag> warren;  ///< set by evaluate_partition (absent on hand-built statuses)
  friend bool operator==(const partition_status&, const partition_status&) = default;
};

/// JSON ConsumerGroupStatus.
struct group_status {
  std::string cluster;
  std::string group;
  status_code status = status_code::notfound;
  float complete = 1.0f;
  std::vector<partition_status> partitions;
  std::size_t partition_count = 0;
  std::optional<partition_status> maxlag;
  std::uint64_t totallag = 0;
  std::optional<group_time_lag> warren;  ///< set by evaluate_group
  friend bool operator==(const group_status&, const group_status&) = default;
};

/// Burrow calculatePartitionStatus, rules in Burrow's order (STOP, REWIND, then STALL/WARN when the
/// lag was never ≤ allowed-lag). `window` = stored commits oldest → newest, non-empty; `broker` =
/// broker log-end history. `now_ms` is truncated to whole seconds first, as Burrow does.
status_code calculate_partition_status(std::span<const consumer_offset> window, std::span<const std::int64_t> broker,
                                       std::uint64_t current_lag, timestamp_ms now,
                                       std::uint64_t allowed_lag);

/// Warren (issue 11): time lag, rates, time to drain and retention risk of one partition of a view
/// at `now`; `status` is its Burrow status (STOP means not draining).
partition_time_lag evaluate_time_lag(const group_view& view, const partition_view& p, status_code status,
                                     timestamp_ms now);

/// Burrow evaluatePartitionStatus for one partition of a view, plus Warren's time lag.
partition_status evaluate_partition(const group_view& view, const partition_view& p, timestamp_ms now,
                                    const evaluator_options& options);

/// Burrow evaluateConsumerStatus: every partition (the `/lag` answer). Partitions are in (topic,
/// partition) order; see rules.cpp for the deterministic maxlag.
group_status evaluate_group(std::string_view cluster, std::string_view group, const group_view& view,
                            timestamp_ms now, const evaluator_options& options);

/// The answer for an unknown or expired group: NOTFOUND, complete 1, no partitions.
group_status not_found_status(std::string_view cluster, std::string_view group);

/// The `/status` answer: a copy keeping only partitions with status above OK (`warren` kept: it
/// covers every partition).
group_status only_problems(const group_status& all);

}  // namespace warren
