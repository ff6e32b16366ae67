#include "service/ws/ws_protocol.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "service/http/burrow_json.hpp"

namespace warren::ws {
namespace json = boost::json;

std::string_view to_string(detail_level d) { return d == detail_level::full ? "full" : "summary"; }

std::string_view to_string(error_code e) {
  switch (e) {
    case error_code::bad_json: return "bad_json";
    case error_code::bad_request: return "bad_request";
    case error_code::unknown_type: return "unknown_type";
    case error_code::bad_pattern: return "bad_pattern";
    case error_code::unknown_cluster: return "unknown_cluster";
    case error_code::unknown_subscription: return "unknown_subscription";
    case error_code::too_many_subscriptions: return "too_many_subscriptions";
    case error_code::frame_too_large: return "frame_too_large";
    case error_code::slow_client: return "slow_client";
    case error_code::shutting_down: return "shutting_down";
  }
  return "bad_request";
}

namespace {
protocol_error err(error_code c, std::string message, std::string id = {}) {
  return protocol_error{c, std::move(message), std::move(id)};
}

// Reads an optional string field. False (and `e` set) when present with another type or too long.
bool optional_string(const json::object& o, std::string_view key, std::size_t max, std::string& out,
                     protocol_error& e, const std::string& id) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return true;
  if (!v->is_string()) {
    e = err(error_code::bad_request, "field '" + std::string(key) + "' must be a string", id);
    return false;
  }
  const auto& s = v->get_string();
  if (s.size() > max) {
    e = err(error_code::bad_request,
            "field '" + std::string(key) + "' is longer than " + std::to_string(max) + " characters", id);
    return false;
  }
  out.assign(s.data(), s.size());
  return true;
}
}  // namespace

client_message parse_client_message(std::string_view text) {
  boost::system::error_code ec;
  json::parse_options po;
  po.max_depth = 16;
  json::value v = json::parse(text, ec, {}, po);
  if (ec) return err(error_code::bad_json, "malformed JSON: " + ec.message());
  if (!v.is_object()) return err(error_code::bad_json, "a message must be a JSON object");
  const auto& o = v.get_object();
  protocol_error e{};
  std::string id;
  // The id first, so later errors can name the request.
  if (!optional_string(o, "id", max_id_length, id, e, {})) return e;
  const auto* t = o.if_contains("type");
  if (!t || !t->is_string()) return err(error_code::bad_request, "field 'type' (a string) is required", id);
  std::string_view type = t->get_string();
  if (type == "subscribe") {
    subscribe_request r;
    r.id = id;
    if (!optional_string(o, "cluster", 1024, r.cluster, e, id)) return e;
    if (!optional_string(o, "group", 1024, r.group, e, id)) return e;
    // Its size is bounded by the frame limit and checked by pattern::compile (bad_pattern).
    if (!optional_string(o, "pattern", std::string::npos, r.pattern, e, id)) return e;
    std::string detail = "full";
    if (!optional_string(o, "detail", 16, detail, e, id)) return e;
    if (detail == "full") r.detail = detail_level::full;
    else if (detail == "summary") r.detail = detail_level::summary;
    else return err(error_code::bad_request, "field 'detail' must be \"full\" or \"summary\"", id);
    if (!r.group.empty() && !r.pattern.empty())
      return err(error_code::bad_request, "give 'group' or 'pattern', not both", id);
    return r;
  }
  if (type == "unsubscribe") {
    if (id.empty()) return err(error_code::bad_request, "unsubscribe needs the subscription's 'id'");
    return unsubscribe_request{id};
  }
  if (type == "ping") return ping_request{id};
  std::string shown(type.substr(0, 64));
  return err(error_code::unknown_type, "unknown message type '" + shown + "' (expected subscribe, unsubscribe or ping)",
             id);
}

std::variant<subscription_filter, protocol_error> subscription_filter::make(const subscribe_request& r,
                                                                            std::span<const std::string> clusters) {
  subscription_filter f;
  if (!r.cluster.empty()) {
    bool known = false;
    for (const auto& c : clusters) known = known || c == r.cluster;
    if (!known) return err(error_code::unknown_cluster, "cluster '" + r.cluster + "' is not configured", r.id);
  }
  f.cluster_ = r.cluster;
  f.group_ = r.group;
  f.pattern_ = r.pattern;
  if (!r.pattern.empty()) {
    auto compiled = warren::pattern::compile(r.pattern);
    if (auto* e = std::get_if<pattern_error>(&compiled))
      return err(error_code::bad_pattern, "invalid regular expression: " + e->message, r.id);
    f.compiled_ = std::get<warren::pattern>(std::move(compiled));
  }
  return f;
}

bool subscription_filter::matches(std::string_view cluster, std::string_view group) const {
  if (!cluster_.empty() && cluster != cluster_) return false;
  if (!group_.empty() && group != group_) return false;
  // Unanchored search, like the group allow/deny lists (Go's MatchString), bounded per name.
  if (compiled_ && (compiled_->worst_case_steps(group.size()) > max_match_steps || !compiled_->search(group)))
    return false;
  return true;
}

bool subscription_filter::same_as(const subscription_filter& o) const {
  return cluster_ == o.cluster_ && group_ == o.group_ && pattern_ == o.pattern_;
}

std::string message_head(std::string_view type, std::uint64_t seq) {
  std::string h;
  h.reserve(32 + type.size());
  h += R"({"type":")";
  h += type;
  h += R"(","seq":)";
  h += std::to_string(seq);
  return h;
}

std::string frame_text(const server_message& m, std::uint64_t seq) { return message_head(m.type, seq) + m.body; }

namespace {
void append_field(std::string& out, std::string_view key, std::string_view value) {
  out += ",\"";
  out += key;
  out += "\":";
  append_json_string(out, value);
}
}  // namespace

server_message hello_message(std::span<const std::string> clusters, const protocol_limits& limits,
                             std::string_view server_version, int version) {
  std::string b;
  append_field(b, "protocol", version == protocol_version_v2 ? subprotocol_v2 : subprotocol);
  b += ",\"version\":" + std::to_string(version == protocol_version_v2 ? protocol_version_v2 : protocol_version);
  append_field(b, "server", server_version);
  b += ",\"clusters\":[";
  for (std::size_t i = 0; i < clusters.size(); ++i) {
    if (i) b += ',';
    append_json_string(b, clusters[i]);
  }
  b += "],\"limits\":{\"max_frame_bytes\":" + std::to_string(limits.max_frame_bytes) +
       ",\"max_subscriptions\":" + std::to_string(limits.max_subscriptions) +
       ",\"outbox\":" + std::to_string(limits.outbox) + ",\"outbox_bytes\":" + std::to_string(limits.outbox_bytes) +
       "}}";
  return {"hello", std::move(b)};
}

void frame_pieces(std::span<const message_ref> messages, std::uint64_t first_seq, bool batch, std::string& heads,
                  std::vector<std::string_view>& pieces) {
  heads.clear();
  pieces.clear();
  if (messages.empty()) return;
  const bool envelope = batch && messages.size() > 1;
  const std::size_t n = envelope ? messages.size() : 1;
  // The heads first (one string, offsets recorded), then the views: `heads` may move as it grows.
  std::vector<std::size_t> ends;
  ends.reserve(n);
  heads.reserve(batch_open.size() + n * 40);
  if (envelope) heads += batch_open;
  for (std::size_t i = 0; i < n; ++i) {
    if (i) heads += ',';
    heads += R"({"type":")";
    heads += messages[i].type;
    heads += R"(","seq":)";
    heads += std::to_string(first_seq + i);
    ends.push_back(heads.size());
  }
  if (envelope) heads += batch_close;
  pieces.reserve(2 * n + 1);
  std::size_t begin = 0;
  for (std::size_t i = 0; i < n; ++i) {
    pieces.emplace_back(heads.data() + begin, ends[i] - begin);
    pieces.push_back(messages[i].body);
    begin = ends[i];
  }
  if (envelope) pieces.emplace_back(heads.data() + begin, heads.size() - begin);
}

std::string frame_text(std::span<const message_ref> messages, std::uint64_t first_seq, bool batch) {
  std::string heads, out;
  std::vector<std::string_view> pieces;
  frame_pieces(messages, first_seq, batch, heads, pieces);
  for (auto p : pieces) out += p;
  return out;
}

void append_summary_json(std::string& out, const group_status& g) {
  // Burrow's object with the partitions left out: the writer stays the only one that spells it.
  group_status s;
  s.cluster = g.cluster;
  s.group = g.group;
  s.status = g.status;
  s.complete = g.complete;
  s.partition_count = g.partition_count;
  s.maxlag = g.maxlag;
  s.totallag = g.totallag;
  s.warren = g.warren;
  append_json(out, s);
}

namespace {
void append_status(std::string& out, const group_status& g, detail_level d) {
  if (d == detail_level::full) append_json(out, g);
  else append_summary_json(out, g);
}
}  // namespace

server_message snapshot_message(std::string_view id, const subscription_filter& f, detail_level detail,
                                std::size_t part, bool last, std::string_view statuses_json) {
  std::string b;
  b.reserve(128 + f.pattern().size() + statuses_json.size());
  append_field(b, "id", id);
  append_field(b, "cluster", f.cluster());
  append_field(b, "group", f.group());
  append_field(b, "pattern", f.pattern());
  append_field(b, "detail", to_string(detail));
  b += ",\"part\":" + std::to_string(part);
  b += last ? ",\"last\":true" : ",\"last\":false";
  b += ",\"statuses\":[";
  b += statuses_json;
  b += "]}";
  return {"snapshot", std::move(b)};
}

void append_snapshot_status(std::string& statuses_json, const group_status& g, detail_level detail) {
  if (!statuses_json.empty()) statuses_json += ',';
  append_status(statuses_json, g, detail);
}

server_message snapshot_message(std::string_view id, const subscription_filter& f, detail_level detail,
                                std::span<const group_status* const> statuses) {
  std::string list;
  for (const auto* g : statuses) append_snapshot_status(list, *g, detail);
  return snapshot_message(id, f, detail, 0, true, list);
}

void append_snapshot_object(std::string& statuses_json, std::string_view status_object) {
  if (!statuses_json.empty()) statuses_json += ',';
  statuses_json += status_object;
}

std::string status_object(const group_status& g, detail_level detail) {
  std::string b;
  b.reserve(detail == detail_level::full ? 192 + g.partitions.size() * 256 : 320);
  append_status(b, g, detail);
  return b;
}

namespace {
// status_body's envelope around the object `append_object` writes.
template <class AppendObject>
std::string status_envelope(std::string_view cluster, std::string_view group, status_code previous,
                            detail_level detail, std::size_t object_size, AppendObject append_object) {
  std::string b;
  b.reserve(96 + cluster.size() + group.size() + object_size);
  append_field(b, "cluster", cluster);
  append_field(b, "group", group);
  append_field(b, "detail", to_string(detail));
  b += ",\"status\":";
  append_object(b);
  append_field(b, "previous", to_string(previous));
  b += '}';
  return b;
}
}  // namespace

std::string status_body(const group_status& current, status_code previous, detail_level detail) {
  const std::size_t size = detail == detail_level::full ? 192 + current.partitions.size() * 256 : 320;
  return status_envelope(current.cluster, current.group, previous, detail, size,
                         [&](std::string& b) { append_status(b, current, detail); });
}

std::string status_body(std::string_view cluster, std::string_view group, std::string_view status_object,
                        status_code previous, detail_level detail) {
  return status_envelope(cluster, group, previous, detail, status_object.size(),
                         [&](std::string& b) { b += status_object; });
}

std::string removed_body(std::string_view cluster, std::string_view group, status_code previous) {
  std::string b;
  append_field(b, "cluster", cluster);
  append_field(b, "group", group);
  append_field(b, "previous", to_string(previous));
  b += '}';
  return b;
}

server_message cluster_state_message(std::string_view cluster, bool reachable, const cluster_freshness& f) {
  std::string b;
  append_field(b, "cluster", cluster);
  b += reachable ? ",\"reachable\":true" : ",\"reachable\":false";
  b += f.stale ? ",\"stale\":true" : ",\"stale\":false";
  b += ",\"as_of\":" + std::to_string(f.as_of_ms);
  append_field(b, "reason", f.reason);
  b += '}';
  return {cluster_type, std::move(b)};
}

server_message unsubscribed_message(std::string_view id) {
  std::string b;
  append_field(b, "id", id);
  b += '}';
  return {"unsubscribed", std::move(b)};
}

server_message pong_message(std::string_view id) {
  std::string b;
  if (!id.empty()) append_field(b, "id", id);
  b += '}';
  return {"pong", std::move(b)};
}

server_message error_message(const protocol_error& e) {
  std::string b;
  append_field(b, "code", to_string(e.code));
  append_field(b, "message", e.message);
  if (!e.id.empty()) append_field(b, "id", e.id);
  b += '}';
  return {"error", std::move(b)};
}

std::optional<std::string_view> choose_subprotocol(std::string_view offered) {
  bool any = false, v1 = false;
  while (!offered.empty()) {
    auto comma = offered.find(',');
    auto token = offered.substr(0, comma);
    offered = comma == std::string_view::npos ? std::string_view{} : offered.substr(comma + 1);
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    if (token.empty()) continue;
    any = true;
    if (token == subprotocol_v2) return subprotocol_v2;  // the newest we speak wins, whatever the order
    if (token == subprotocol) v1 = true;
  }
  if (v1) return subprotocol;
  if (!any) return std::string_view{};
  return std::nullopt;
}

}  // namespace warren::ws
