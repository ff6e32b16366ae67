#pragma once
// Burrow's JSON bodies for statuses and consumer details, byte-compatible with Burrow (Go
// encoding/json): field names and order as Burrow's structs, float32 `complete` printed like Go,
// strings escaped like Go (go_json.hpp). Written by hand because Boost.JSON neither prints floats
// nor escapes like Go; Boost.JSON stays out of this header. Pure functions, any thread.
//
// Warren's additive fields: the status objects end with a `warren` object of time lags (issue 11)
// when the evaluator computed them, and while a cluster's data is stale (unreachable, offsets replay not
// finished), the status and detail bodies end with `"warren":{"stale":true,"as_of":MS,"reason":…}`
// after Burrow's `request`; when fresh the field is absent and the bytes are Burrow's.
#include <string>
#include <string_view>

#include "service/core/health.hpp"
#include "service/evaluator/rules.hpp"
#include "service/http/go_json.hpp"
#include "service/storage/model.hpp"

namespace warren {

/// ConsumerOffset: {"offset","timestamp","observedAt","lag"}.
void append_json(std::string& out, const consumer_offset& o);
/// PartitionStatus: {"topic","partition","owner","client_id","status","start","end","current_lag","complete"},
/// then Warren's `"warren":{…}` (proto PartitionTimeLag) when p.warren is set. Seconds print as
/// decimals with ms precision (12.345), rates and drain times with at most 3 decimals.
void append_json(std::string& out, const partition_status& p);
/// ConsumerGroupStatus: {"cluster","group","status","complete","partitions","partition_count","maxlag","totallag"},
/// then Warren's `"warren":{…}` (proto GroupTimeLag) when g.warren is set.
void append_json(std::string& out, const group_status& g);
std::string to_json(const group_status& g);
std::string to_json(const partition_status& p);
/// The status object alone, of every partition or (`problems_only`, Burrow's `/status`) only those
/// worse than OK, sized once (issue 12: the `/lag` and `/status` handlers cache it).
std::string status_object_json(const group_status& g, bool problems_only);

/// The `topics` object of `GET /v3/kafka/:cluster/consumer/:group`: topics sorted (Go sorts map
/// keys), per partition {"offsets":[null…, ConsumerOffset…] | [],"owner","client_id","current-lag"}.
void append_consumer_topics_json(std::string& out, const group_view& view);
std::string consumer_topics_json(const group_view& view);

/// Warren's freshness object, `,"warren":{"stale":true,"as_of":…,"reason":…}`, appended only when
/// `f.stale` (nothing otherwise). The leading comma is included.
void append_freshness_json(std::string& out, const cluster_freshness& f);

/// Whole response bodies, Burrow field order: {"error":false,"message":…,"status"|"topics":…,"request":{"url","host"}}
/// then Warren's `warren` object when `freshness.stale`. No trailing newline (Go's json.Encoder adds
/// one; the HTTP layer decides).
std::string status_response_json(const group_status& g, std::string_view url, std::string_view host,
                                 const cluster_freshness& freshness = {});
/// The same body with only the partitions whose status is worse than OK (Burrow's `/status`),
/// written without copying the status (as `status_response_json(only_problems(g), …)`).
std::string problems_response_json(const group_status& g, std::string_view url, std::string_view host,
                                   const cluster_freshness& freshness = {});
/// Issue 14: as status_response_json, with the status object already rendered (another instance's,
/// from the fleet's status topic, or one with Warren's owner fields).
std::string status_response_json_raw(std::string_view status_object, std::string_view url, std::string_view host,
                                     const cluster_freshness& freshness = {});
std::string consumer_detail_response_json(const group_view& view, std::string_view url, std::string_view host,
                                          const cluster_freshness& freshness = {});

}  // namespace warren
