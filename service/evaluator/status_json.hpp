#pragma once
// JSON for evaluator results and consumer details, byte-compatible with Burrow (Go encoding/json):
// field names and order as Burrow's structs, float32 `complete` printed like Go (1, 0.5, 0.33333334),
// strings escaped like Go (HTML-safe \u003c \u003e \u0026, \u2028 \u2029, invalid UTF-8 → \ufffd).
// Boost.JSON's serializer prints 0.5 as 5E-1 and does not escape like Go, so these writers produce
// the text themselves; Boost.JSON stays out of this header. Pure functions, any thread.
#include <string>
#include <string_view>

#include "service/evaluator/rules.hpp"
#include "service/storage/model.hpp"

namespace warren {

/// ConsumerOffset: {"offset","timestamp","observedAt","lag"}.
void append_json(std::string& out, const consumer_offset& o);
/// PartitionStatus: {"topic","partition","owner","client_id","status","start","end","current_lag","complete"}.
void append_json(std::string& out, const partition_status& p);
/// ConsumerGroupStatus: {"cluster","group","status","complete","partitions","partition_count","maxlag","totallag"}.
void append_json(std::string& out, const group_status& g);
std::string to_json(const group_status& g);
std::string to_json(const partition_status& p);

/// The `topics` object of `GET /v3/kafka/:cluster/consumer/:group`: topics sorted (Go sorts map
/// keys), per partition {"offsets":[null…, ConsumerOffset…] | [],"owner","client_id","current-lag"}.
void append_consumer_topics_json(std::string& out, const group_view& view);
std::string consumer_topics_json(const group_view& view);

/// Whole response bodies, Burrow field order: {"error":false,"message":…,"status"|"topics":…,"request":{"url","host"}}.
/// No trailing newline (Go's json.Encoder adds one; the HTTP layer decides).
std::string status_response_json(const group_status& g, std::string_view url, std::string_view host);
std::string consumer_detail_response_json(const group_view& view, std::string_view url, std::string_view host);

/// A JSON string literal with Go encoding/json escaping, appended to `out`.
void append_json_string(std::string& out, std::string_view s);
/// A float32 as Go's encoding/json prints it.
std::string go_float32(float f);

}  // namespace warren
