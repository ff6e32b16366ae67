#include "service/http/burrow_json.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>

namespace warren {
namespace {

void append_optional(std::string& out, const std::optional<consumer_offset>& o) {
  if (o)
    append_json(out, *o);
  else
    out += "null";
}

void append_request(std::string& out, std::string_view url, std::string_view host) {
  out += R"("request":{"url":)";
  append_json_string(out, url);
  out += R"(,"host":)";
  append_json_string(out, host);
  out += '}';
}

// ms as decimal seconds with ms precision: 12345 → 12.345, -1500 → -1.5, 2000 → 2.
void append_seconds(std::string& out, std::int64_t ms) {
  if (ms < 0) {
    out += '-';
    ms = ms == INT64_MIN ? INT64_MAX : -ms;
  }
  append_json_int(out, ms / 1000);
  if (const auto frac = static_cast<int>(ms % 1000); frac != 0) {
    const char digits[4] = {'.', static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                            static_cast<char>('0' + frac % 10)};
    std::size_t n = 4;
    while (digits[n - 1] == '0') --n;
    out.append(digits, n);
  }
}

// A float as a JSON number with at most 3 decimals (null when not finite).
void append_number(std::string& out, float v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  const double r = std::round(static_cast<double>(v) * 1000.0);
  if (std::fabs(r) < 9.0e15) {
    append_seconds(out, static_cast<std::int64_t>(r));
    return;
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", static_cast<double>(v));
  out += buf;
}

void append_optional_number(std::string& out, const std::optional<float>& v) {
  if (v) append_number(out, *v);
  else out += "null";
}

void append_offset_or_null(std::string& out, std::int64_t v) {
  if (v < 0) out += "null";
  else append_json_int(out, v);
}

void append_warren(std::string& out, const partition_time_lag& w) {
  out += R"(,"warren":{"log_end_offset":)";
  append_offset_or_null(out, w.log_end_offset);
  out += R"(,"log_start_offset":)";
  append_offset_or_null(out, w.log_start_offset);
  out += R"(,"time_lag_s":)";
  if (w.time_lag.lag_ms < 0) out += "null";
  else append_seconds(out, w.time_lag.lag_ms);
  out += R"(,"time_lag_method":)";
  append_json_string(out, to_string(w.time_lag.method));
  out += R"(,"time_lag_lower_bound":)";
  out += w.time_lag.lower_bound ? "true" : "false";
  out += R"(,"time_lag_max_error_s":)";
  if (w.time_lag.max_error_ms < 0) out += "null";
  else append_seconds(out, w.time_lag.max_error_ms);
  out += R"(,"consume_rate":)";
  append_optional_number(out, w.consume_rate);
  out += R"(,"produce_rate":)";
  append_optional_number(out, w.produce_rate);
  out += R"(,"time_to_drain_s":)";
  append_optional_number(out, w.time_to_drain_s);
  out += R"(,"retention_ms":)";
  if (w.retention_ms == retention_unknown) out += "null";
  else append_json_int(out, w.retention_ms);
  out += R"(,"unread_deleted_in_s":)";
  if (w.unread_deleted_in_ms == partition_time_lag::none) out += "null";
  else append_seconds(out, w.unread_deleted_in_ms);
  out += R"(,"data_loss":)";
  out += w.records_lost > 0 ? "true" : "false";
  out += R"(,"records_lost":)";
  append_json_uint(out, w.records_lost);
  out += '}';
}

void append_warren(std::string& out, const group_time_lag& w) {
  out += R"(,"warren":{"evaluated_at":)";
  append_json_int(out, w.evaluated_at);
  out += R"(,"max_time_lag_s":)";
  if (w.max_time_lag_ms < 0) out += "null";
  else append_seconds(out, w.max_time_lag_ms);
  out += R"(,"max_time_lag_lower_bound":)";
  out += w.max_time_lag_lower_bound ? "true" : "false";
  out += R"(,"max_time_lag_topic":)";
  if (w.max_time_lag_partition < 0) out += "null";
  else append_json_string(out, w.max_time_lag_topic);
  out += R"(,"max_time_lag_partition":)";
  if (w.max_time_lag_partition < 0) out += "null";
  else append_json_int(out, w.max_time_lag_partition);
  out += R"(,"sum_time_lag_s":)";
  append_seconds(out, w.sum_time_lag_ms);
  out += R"(,"time_to_drain_s":)";
  append_optional_number(out, w.time_to_drain_s);
  out += R"(,"unread_deleted_in_s":)";
  if (w.unread_deleted_in_ms == partition_time_lag::none) out += "null";
  else append_seconds(out, w.unread_deleted_in_ms);
  out += R"(,"data_loss":)";
  out += w.data_loss_partitions > 0 ? "true" : "false";
  out += R"(,"data_loss_partitions":)";
  append_json_uint(out, w.data_loss_partitions);
  out += '}';
}

}  // namespace

void append_json(std::string& out, const consumer_offset& o) {
  out += R"({"offset":)";
  append_json_int(out, o.offset);
  out += R"(,"timestamp":)";
  append_json_int(out, o.timestamp);
  out += R"(,"observedAt":)";
  append_json_int(out, o.observed_at);
  out += R"(,"lag":)";
  if (o.lag)
    append_json_uint(out, *o.lag);
  else
    out += "null";
  out += '}';
}

void append_json(std::string& out, const partition_status& p) {
  out += R"({"topic":)";
  append_json_string(out, p.topic);
  out += R"(,"partition":)";
  append_json_int(out, p.partition);
  out += R"(,"owner":)";
  append_json_string(out, p.owner);
  out += R"(,"client_id":)";
  append_json_string(out, p.client_id);
  out += R"(,"status":)";
  append_json_string(out, to_string(p.status));
  out += R"(,"start":)";
  append_optional(out, p.start);
  out += R"(,"end":)";
  append_optional(out, p.end);
  out += R"(,"current_lag":)";
  append_json_uint(out, p.current_lag);
  out += R"(,"complete":)";
  append_go_float32(out, p.complete);
  if (p.warren) append_warren(out, *p.warren);
  out += '}';
}

namespace {

// A body's size before writing it, so the string grows once (issue 12): the fixed parts plus a
// generous bound per partition; over-estimates only cost address space until the body is sent.
std::size_t status_size_hint(const group_status& g) {
  return 512 + g.partitions.size() * (g.warren ? 720 : 360);
}

void append_status(std::string& out, const group_status& g, bool problems_only) {
  out += R"({"cluster":)";
  append_json_string(out, g.cluster);
  out += R"(,"group":)";
  append_json_string(out, g.group);
  out += R"(,"status":)";
  append_json_string(out, to_string(g.status));
  out += R"(,"complete":)";
  append_go_float32(out, g.complete);
  out += R"(,"partitions":[)";
  bool first = true;
  for (const auto& p : g.partitions) {
    if (problems_only && !(p.status > status_code::ok)) continue;  // rules.cpp only_problems
    if (!first) out += ',';
    first = false;
    append_json(out, p);
  }
  out += R"(],"partition_count":)";
  append_json_uint(out, g.partition_count);
  out += R"(,"maxlag":)";
  if (g.maxlag)
    append_json(out, *g.maxlag);
  else
    out += "null";
  out += R"(,"totallag":)";
  append_json_uint(out, g.totallag);
  if (g.warren) append_warren(out, *g.warren);
  out += '}';
}

std::string status_body(const group_status& g, bool problems_only, std::string_view url, std::string_view host,
                        const cluster_freshness& freshness) {
  std::string out;
  out.reserve(status_size_hint(g) + url.size() + host.size());
  out += R"({"error":false,"message":"consumer status returned","status":)";
  append_status(out, g, problems_only);
  out += ',';
  append_request(out, url, host);
  append_freshness_json(out, freshness);
  out += '}';
  return out;
}

}  // namespace

void append_json(std::string& out, const group_status& g) { append_status(out, g, false); }

std::string to_json(const group_status& g) {
  std::string out;
  append_json(out, g);
  return out;
}

std::string status_object_json(const group_status& g, bool problems_only) {
  std::string out;
  out.reserve(status_size_hint(g));
  append_status(out, g, problems_only);
  return out;
}

std::string to_json(const partition_status& p) {
  std::string out;
  append_json(out, p);
  return out;
}

void append_consumer_topics_json(std::string& out, const group_view& view) {
  out += '{';
  // view.topics is sorted and partitions are grouped by topic in that order. A topic with no
  // partition slot (not produced by the model) is still printed, as an empty array.
  std::size_t pi = 0;
  for (std::uint32_t t = 0; t < view.topics.size(); ++t) {
    if (t) out += ',';
    append_json_string(out, view.topics[t]);
    out += ":[";
    bool first = true;
    for (; pi < view.partitions.size() && view.partitions[pi].topic == t; ++pi) {
      const auto& p = view.partitions[pi];
      if (!first) out += ',';
      first = false;
      out += R"({"offsets":[)";
      if (p.ring_length > 0) {
        bool first_slot = true;
        for (std::uint32_t k = p.window_size; k < p.ring_length; ++k) {
          if (!first_slot) out += ',';
          first_slot = false;
          out += "null";
        }
        for (const auto& o : view.window(p)) {
          if (!first_slot) out += ',';
          first_slot = false;
          append_json(out, o);
        }
      }
      out += R"(],"owner":)";
      append_json_string(out, p.owner);
      out += R"(,"client_id":)";
      append_json_string(out, p.client_id);
      out += R"(,"current-lag":)";
      append_json_uint(out, p.current_lag);
      out += '}';
    }
    out += ']';
  }
  out += '}';
}

std::string consumer_topics_json(const group_view& view) {
  std::string out;
  append_consumer_topics_json(out, view);
  return out;
}

void append_freshness_json(std::string& out, const cluster_freshness& f) {
  if (!f.stale) return;
  out += R"(,"warren":{"stale":true,"as_of":)";
  append_json_int(out, f.as_of_ms);
  out += R"(,"reason":)";
  append_json_string(out, f.reason);
  out += '}';
}

std::string status_response_json(const group_status& g, std::string_view url, std::string_view host,
                                 const cluster_freshness& freshness) {
  return status_body(g, false, url, host, freshness);
}

std::string problems_response_json(const group_status& g, std::string_view url, std::string_view host,
                                   const cluster_freshness& freshness) {
  return status_body(g, true, url, host, freshness);
}

std::string status_response_json_raw(std::string_view status_object, std::string_view url, std::string_view host,
                                     const cluster_freshness& freshness) {
  constexpr std::string_view head = R"({"error":false,"message":"consumer status returned","status":)";
  std::string out;
  out.reserve(head.size() + status_object.size() + url.size() + host.size() + 128 + freshness.reason.size());
  out += head;
  out += status_object;
  out += ',';
  append_request(out, url, host);
  append_freshness_json(out, freshness);
  out += '}';
  return out;
}

std::string consumer_detail_response_json(const group_view& view, std::string_view url, std::string_view host,
                                          const cluster_freshness& freshness) {
  std::string out;
  // Size first (issue 12): per partition its fixed fields, its window and the ring's nulls.
  std::size_t hint = 256 + url.size() + host.size() + view.samples.size() * 96;
  for (const auto& t : view.topics) hint += t.size() + 8;
  for (const auto& p : view.partitions)
    hint += 80 + p.owner.size() + p.client_id.size() + 5 * (p.ring_length - p.window_size);
  out.reserve(hint);
  out += R"({"error":false,"message":"consumer detail returned","topics":)";
  append_consumer_topics_json(out, view);
  out += ',';
  append_request(out, url, host);
  append_freshness_json(out, freshness);
  out += '}';
  return out;
}

}  // namespace warren
