// Burrow's notifier template data (core/internal/notifier/helpers.go executeTemplate) built from
// Warren's evaluator types, with Go field names and Burrow's Go types.
#include <utility>

#include "service/evaluator/rules.hpp"
#include "service/notifier/template.hpp"

namespace warren::go_template {
namespace {

value offset_value(const std::optional<consumer_offset>& o) {
  if (!o) return value::nil("*protocol.ConsumerOffset");
  // Burrow: Lag *Lag (nil for backfilled commits), Lag{Value uint64}.
  value lag = o->lag ? value::object("*protocol.Lag", {{"Value", "=", value::unsigned_integer(*o->lag)}})
                     : value::nil("*protocol.Lag");
  return value::object("*protocol.ConsumerOffset",
                       {{"Offset", "offset", value::integer(o->offset, "int64")},
                        {"Timestamp", "timestamp", value::integer(o->timestamp, "int64")},
                        {"ObservedTimestamp", "observedAt", value::integer(o->observed_at, "int64")},
                        {"Lag", "lag", std::move(lag)}});
}

value partition_value(const partition_status& p) {
  return value::object("*protocol.PartitionStatus",
                       {{"Topic", "topic", value::string(p.topic)},
                        {"Partition", "partition", value::integer(p.partition, "int32")},
                        {"Owner", "owner", value::string(p.owner)},
                        {"ClientID", "client_id", value::string(p.client_id)},
                        {"Status", "status", value::status(static_cast<std::int64_t>(p.status))},
                        {"Start", "start", offset_value(p.start)},
                        {"End", "end", offset_value(p.end)},
                        {"CurrentLag", "current_lag", value::unsigned_integer(p.current_lag)},
                        {"Complete", "complete", value::float32(p.complete)}});
}

}  // namespace

value make_notifier_data(const group_status& status, std::string_view incident_id, timestamp_ms start,
                         const std::map<std::string, std::string>& extras) {
  value_array partitions;
  partitions.reserve(status.partitions.size());
  for (const auto& p : status.partitions) partitions.push_back(partition_value(p));
  value result = value::object(
      "protocol.ConsumerGroupStatus",
      {{"Cluster", "cluster", value::string(status.cluster)},
       {"Group", "group", value::string(status.group)},
       {"Status", "status", value::status(static_cast<std::int64_t>(status.status))},
       {"Complete", "complete", value::float32(status.complete)},
       {"Partitions", "partitions", value::array(std::move(partitions))},
       {"TotalPartitions", "partition_count", value::integer(static_cast<std::int64_t>(status.partition_count))},
       {"Maxlag", "maxlag", status.maxlag ? partition_value(*status.maxlag) : value::nil("*protocol.PartitionStatus")},
       {"TotalLag", "totallag", value::unsigned_integer(status.totallag)}});
  value_map extra_map;
  for (const auto& [k, v] : extras) extra_map.emplace(k, value::string(v));
  value root = value::object(
      "struct { Cluster string; Group string; ID string; Start time.Time; Extras map[string]string; "
      "Result protocol.ConsumerGroupStatus }",
      {{"Cluster", "", value::string(status.cluster)},
       {"Group", "", value::string(status.group)},
       {"ID", "", value::string(std::string(incident_id))},
       {"Start", "", value::time_ns(start.value * 1'000'000)},
       {"Extras", "", value::map(std::move(extra_map), value::string({}))},
       {"Result", "", std::move(result)}});
  // Burrow's shipped default-http-delete.tmpl uses .Id; Warren reads it as .ID (see template.hpp).
  return root.with_alias("Id", "ID");
}

}  // namespace warren::go_template
