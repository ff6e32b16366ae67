#include "service/http/burrow_json.hpp"

#include <cstdint>

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
  out += go_float32(p.complete);
  out += '}';
}

void append_json(std::string& out, const group_status& g) {
  out += R"({"cluster":)";
  append_json_string(out, g.cluster);
  out += R"(,"group":)";
  append_json_string(out, g.group);
  out += R"(,"status":)";
  append_json_string(out, to_string(g.status));
  out += R"(,"complete":)";
  out += go_float32(g.complete);
  out += R"(,"partitions":[)";
  for (std::size_t i = 0; i < g.partitions.size(); ++i) {
    if (i) out += ',';
    append_json(out, g.partitions[i]);
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
  out += '}';
}

std::string to_json(const group_status& g) {
  std::string out;
  append_json(out, g);
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
  std::string out = R"({"error":false,"message":"consumer status returned","status":)";
  append_json(out, g);
  out += ',';
  append_request(out, url, host);
  append_freshness_json(out, freshness);
  out += '}';
  return out;
}

std::string consumer_detail_response_json(const group_view& view, std::string_view url, std::string_view host,
                                          const cluster_freshness& freshness) {
  std::string out = R"({"error":false,"message":"consumer detail returned","topics":)";
  append_consumer_topics_json(out, view);
  out += ',';
  append_request(out, url, host);
  append_freshness_json(out, freshness);
  out += '}';
  return out;
}

}  // namespace warren
