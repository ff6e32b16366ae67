#include "service/http/burrow_json.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>

namespace warren {
namespace {

void append_request(std::string& out, std::string_view url, std::string_view host) {
  out += R"("request":{"url":)";
  append_json_string(out, url);
  out += R"(,"host":)";
  append_json_string(out, host);
  out += '}';
}

// Issue 12: the status objects are written through a cursor into room made in the string first
// (one size check per partition, not one per field); the string is cut back to what was written
// when the cursor goes. Every put is bounded: a caller's room() covers the fields it writes (the
// bounds below), strings at 6 bytes per input byte (Go's worst escape) plus quotes.
class cursor {
 public:
  explicit cursor(std::string& s) : s_(s), p_(s.data() + s.size()), end_(p_) {}
  ~cursor() { s_.resize(static_cast<std::size_t>(p_ - s_.data())); }
  cursor(const cursor&) = delete;
  cursor& operator=(const cursor&) = delete;

  void room(std::size_t n) {
    if (static_cast<std::size_t>(end_ - p_) >= n) return;
    const auto at = static_cast<std::size_t>(p_ - s_.data());
    s_.resize(at + 2 * n);  // grows the capacity geometrically; zeroes only the new bytes
    p_ = s_.data() + at;
    end_ = s_.data() + s_.size();
  }
  template <std::size_t N>
  void lit(const char (&t)[N]) {
    std::memcpy(p_, t, N - 1);
    p_ += N - 1;
  }
  void raw(std::string_view t) {
    if (t.empty()) return;
    std::memcpy(p_, t.data(), t.size());
    p_ += t.size();
  }
  void ch(char c) { *p_++ = c; }
  void i64(std::int64_t v) { p_ = std::to_chars(p_, p_ + 20, v).ptr; }
  void u64(std::uint64_t v) { p_ = std::to_chars(p_, p_ + 20, v).ptr; }
  void boolean(bool b) {
    if (b) lit("true");
    else lit("false");
  }
  void null() { lit("null"); }
  // As Go writes it (go_json.hpp); bytes that need no escape are copied as they are.
  void string(std::string_view v) {
    for (const char c : v) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&') {
        escaped_.clear();
        append_json_string(escaped_, v);
        raw(escaped_);
        return;
      }
    }
    ch('"');
    raw(v);
    ch('"');
  }
  // ms as decimal seconds with ms precision: 12345 → 12.345, -1500 → -1.5, 2000 → 2 (≤ 24 bytes).
  void seconds(std::int64_t ms) {
    if (ms < 0) {
      ch('-');
      ms = ms == INT64_MIN ? INT64_MAX : -ms;
    }
    i64(ms / 1000);
    if (const auto frac = static_cast<int>(ms % 1000); frac != 0) {
      const char digits[4] = {'.', static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                              static_cast<char>('0' + frac % 10)};
      std::size_t n = 4;
      while (digits[n - 1] == '0') --n;
      raw({digits, n});
    }
  }
  // A float as a JSON number with at most 3 decimals, null when not finite (≤ 32 bytes).
  void number(float v) {
    if (!std::isfinite(v)) return null();
    const double r = std::round(static_cast<double>(v) * 1000.0);
    if (std::fabs(r) < 9.0e15) return seconds(static_cast<std::int64_t>(r));
    char buf[40];
    const int n = std::snprintf(buf, sizeof buf, "%.17g", static_cast<double>(v));
    raw({buf, static_cast<std::size_t>(n)});
  }
  void number(const std::optional<float>& v) {
    if (v) number(*v);
    else null();
  }
  void go_float32(float f) {  // ≤ 64 bytes
    char buf[64];
    raw({buf, go_float32_chars(buf, f)});
  }
  void seconds_or_null(std::int64_t ms, bool absent) {
    if (absent) null();
    else seconds(ms);
  }
  void offset_or_null(std::int64_t v) {
    if (v < 0) null();
    else i64(v);
  }

 private:
  std::string& s_;
  char* p_;
  char* end_;
  std::string escaped_;  ///< a string that needs escapes (rare: names are mostly plain ASCII)
};

// Bounds for cursor::room: the fixed text and numbers of each object (counted generously), and the
// strings.
constexpr std::size_t offset_room = 160;
constexpr std::size_t warren_room = 1024;
constexpr std::size_t string_room(std::string_view s) { return 6 * s.size() + 2; }
std::size_t partition_room(const partition_status& p) {
  return 512 + 2 * offset_room + warren_room + string_room(p.topic) + string_room(p.owner) +
         string_room(p.client_id) + string_room(to_string(p.status));
}

void put(cursor& c, const consumer_offset& o) {
  c.lit(R"({"offset":)");
  c.i64(o.offset);
  c.lit(R"(,"timestamp":)");
  c.i64(o.timestamp);
  c.lit(R"(,"observedAt":)");
  c.i64(o.observed_at);
  c.lit(R"(,"lag":)");
  if (o.lag) c.u64(*o.lag);
  else c.null();
  c.ch('}');
}

void put(cursor& c, const std::optional<consumer_offset>& o) {
  if (o) put(c, *o);
  else c.null();
}

// The end both warren objects share: retention risk, data loss and what was lost (records of a
// partition, partitions of a group).
template <std::size_t N>
void put_loss(cursor& c, std::int64_t unread_deleted_in_ms, std::uint64_t lost, const char (&lost_key)[N]) {
  c.lit(R"(,"unread_deleted_in_s":)");
  c.seconds_or_null(unread_deleted_in_ms, unread_deleted_in_ms == partition_time_lag::none);
  c.lit(R"(,"data_loss":)");
  c.boolean(lost > 0);
  c.lit(lost_key);
  c.u64(lost);
  c.ch('}');
}

void put(cursor& c, const partition_time_lag& w) {
  c.lit(R"(,"warren":{"log_end_offset":)");
  c.offset_or_null(w.log_end_offset);
  c.lit(R"(,"log_start_offset":)");
  c.offset_or_null(w.log_start_offset);
  c.lit(R"(,"time_lag_s":)");
  c.seconds_or_null(w.time_lag.lag_ms, w.time_lag.lag_ms < 0);
  c.lit(R"(,"time_lag_method":)");
  c.string(to_string(w.time_lag.method));
  c.lit(R"(,"time_lag_lower_bound":)");
  c.boolean(w.time_lag.lower_bound);
  c.lit(R"(,"time_lag_max_error_s":)");
  c.seconds_or_null(w.time_lag.max_error_ms, w.time_lag.max_error_ms < 0);
  c.lit(R"(,"consume_rate":)");
  c.number(w.consume_rate);
  c.lit(R"(,"produce_rate":)");
  c.number(w.produce_rate);
  c.lit(R"(,"time_to_drain_s":)");
  c.number(w.time_to_drain_s);
  c.lit(R"(,"retention_ms":)");
  if (w.retention_ms == retention_unknown) c.null();
  else c.i64(w.retention_ms);
  put_loss(c, w.unread_deleted_in_ms, w.records_lost, R"(,"records_lost":)");
}

void put(cursor& c, const group_time_lag& w) {
  c.room(warren_room + string_room(w.max_time_lag_topic));
  c.lit(R"(,"warren":{"evaluated_at":)");
  c.i64(w.evaluated_at);
  c.lit(R"(,"max_time_lag_s":)");
  c.seconds_or_null(w.max_time_lag_ms, w.max_time_lag_ms < 0);
  c.lit(R"(,"max_time_lag_lower_bound":)");
  c.boolean(w.max_time_lag_lower_bound);
  c.lit(R"(,"max_time_lag_topic":)");
  if (w.max_time_lag_partition < 0) c.null();
  else c.string(w.max_time_lag_topic);
  c.lit(R"(,"max_time_lag_partition":)");
  if (w.max_time_lag_partition < 0) c.null();
  else c.i64(w.max_time_lag_partition);
  c.lit(R"(,"sum_time_lag_s":)");
  c.seconds(w.sum_time_lag_ms);
  c.lit(R"(,"time_to_drain_s":)");
  c.number(w.time_to_drain_s);
  put_loss(c, w.unread_deleted_in_ms, w.data_loss_partitions, R"(,"data_loss_partitions":)");
}

void put(cursor& c, const partition_status& p) {
  c.room(partition_room(p));
  c.lit(R"({"topic":)");
  c.string(p.topic);
  c.lit(R"(,"partition":)");
  c.i64(p.partition);
  c.lit(R"(,"owner":)");
  c.string(p.owner);
  c.lit(R"(,"client_id":)");
  c.string(p.client_id);
  c.lit(R"(,"status":)");
  c.string(to_string(p.status));
  c.lit(R"(,"start":)");
  put(c, p.start);
  c.lit(R"(,"end":)");
  put(c, p.end);
  c.lit(R"(,"current_lag":)");
  c.u64(p.current_lag);
  c.lit(R"(,"complete":)");
  c.go_float32(p.complete);
  if (p.warren) put(c, *p.warren);
  c.ch('}');
}

}  // namespace

void append_json(std::string& out, const consumer_offset& o) {
  cursor c(out);
  c.room(offset_room);
  put(c, o);
}

void append_json(std::string& out, const partition_status& p) {
  cursor c(out);
  put(c, p);
}

namespace {

// A body's size before writing it, so the string grows once (issue 12): the fixed parts plus a
// generous bound per partition; over-estimates only cost address space until the body is sent.
std::size_t status_size_hint(const group_status& g) {
  return 512 + g.partitions.size() * (g.warren ? 720 : 360);
}

void append_status(std::string& out, const group_status& g, bool problems_only) {
  cursor c(out);
  c.room(512 + string_room(g.cluster) + string_room(g.group) + string_room(to_string(g.status)));
  c.lit(R"({"cluster":)");
  c.string(g.cluster);
  c.lit(R"(,"group":)");
  c.string(g.group);
  c.lit(R"(,"status":)");
  c.string(to_string(g.status));
  c.lit(R"(,"complete":)");
  c.go_float32(g.complete);
  c.lit(R"(,"partitions":[)");
  bool first = true;
  for (const auto& p : g.partitions) {
    if (problems_only && !(p.status > status_code::ok)) continue;  // rules.cpp only_problems
    c.room(1);
    if (!first) c.ch(',');
    first = false;
    put(c, p);
  }
  c.room(256);
  c.lit(R"(],"partition_count":)");
  c.u64(g.partition_count);
  c.lit(R"(,"maxlag":)");
  if (g.maxlag) {
    put(c, *g.maxlag);
  } else {
    c.null();
  }
  c.room(256);
  c.lit(R"(,"totallag":)");
  c.u64(g.totallag);
  if (g.warren) put(c, *g.warren);
  c.room(1);
  c.ch('}');
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
