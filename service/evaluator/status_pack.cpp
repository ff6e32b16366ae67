#include "service/evaluator/status_pack.hpp"

#include <algorithm>
#include <cstring>

namespace warren {
namespace {

// Differences are taken modulo 2^64, so every int64 pair round-trips (no signed overflow).
std::uint64_t zigzag(std::int64_t v) {
  const auto u = static_cast<std::uint64_t>(v);
  return (u << 1) ^ (v < 0 ? ~std::uint64_t{0} : 0);
}
std::int64_t unzigzag(std::uint64_t u) {
  return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
}
std::uint64_t minus(std::int64_t a, std::int64_t b) {
  return static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b);
}
std::int64_t plus(std::int64_t a, std::uint64_t d) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + d);
}

// Partition flags.
constexpr std::uint32_t
  p_start = 1u << 0,
  p_end = 1u << 1,
  p_start_lag = 1u << 2,
  p_end_lag = 1u << 3,
  p_warren = 1u << 4,
  p_consume_rate = 1u << 5,
  p_produce_rate = 1u << 6,
  p_drain = 1u << 7,
  p_unread_deleted = 1u << 8,
  p_lower_bound = 1u << 9;
// Group flags.
constexpr std::uint32_t
  g_maxlag = 1u << 0,
  g_warren = 1u << 1,
  g_drain = 1u << 2,
  g_unread_deleted = 1u << 3,
  g_lower_bound = 1u << 4;

// Running references for deltas: each time and order is written against the previous one of the
// status (a group's commits are close together in both).
struct running {
  std::int64_t time = 0;
  std::int64_t order = 0;
};

struct reader {
  const unsigned char* p;
  const unsigned char* end;

  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; p < end && shift < 64; shift += 7) {
      const unsigned char b = *p++;
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    return v;
  }
  std::int64_t signed_varint() { return unzigzag(varint()); }
  std::uint8_t byte() { return p < end ? *p++ : 0; }
  float f32() {
    float f = 0;
    if (end - p >= 4) std::memcpy(&f, p, 4);
    p += end - p >= 4 ? 4 : end - p;
    return f;
  }
};

}  // namespace

struct status_packer::writer {
  status_packer& self;
  std::string& out;
  running r;

  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      out.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<char>(v));
  }
  void signed_varint(std::int64_t v) { varint(zigzag(v)); }
  void byte(std::uint8_t b) { out.push_back(static_cast<char>(b)); }
  void f32(float f) {
    char b[4];
    std::memcpy(b, &f, 4);
    out.append(b, 4);
  }
  // 0 = a new string follows (it takes the next index), n > 0 = the string of index n − 1.
  // The last string written per field (topic, owner, client id): consecutive partitions mostly
  // repeat them, and a compare is cheaper than the hash lookup.
  struct recent {
    std::string_view text;
    std::uint32_t index = 0;
    bool set = false;
  };
  recent topic, owner, client;
  void string(std::string_view s, recent& last) {
    if (last.set && last.text == s) {
      varint(std::uint64_t{last.index} + 1);
      return;
    }
    auto it = self.strings_.find(s);
    const bool fresh = it == self.strings_.end();
    const auto index = fresh ? static_cast<std::uint32_t>(self.strings_.size()) : it->second;
    last = {s, index, true};
    if (!fresh) {
      varint(std::uint64_t{index} + 1);
      return;
    }
    self.strings_.emplace(s, index);
    varint(0);
    varint(s.size());
    out.append(s);
  }
  void string(std::string_view s) {
    auto [it, fresh] = self.strings_.try_emplace(s, static_cast<std::uint32_t>(self.strings_.size()));
    if (!fresh) {
      varint(std::uint64_t{it->second} + 1);
      return;
    }
    varint(0);
    varint(s.size());
    out.append(s);
  }
  void offset(const consumer_offset& o, std::int64_t offset_base) {
    signed_varint(static_cast<std::int64_t>(minus(o.offset, offset_base)));
    signed_varint(static_cast<std::int64_t>(minus(o.order, r.order)));
    r.order = o.order;
    signed_varint(static_cast<std::int64_t>(minus(o.timestamp, r.time)));
    r.time = o.timestamp;
    signed_varint(static_cast<std::int64_t>(minus(o.observed_at, o.timestamp)));
    if (o.lag) varint(*o.lag);
  }
  void partition(const partition_status& p) {
    std::uint32_t flags = 0;
    if (p.start) flags |= p_start | (p.start->lag ? p_start_lag : 0);
    if (p.end) flags |= p_end | (p.end->lag ? p_end_lag : 0);
    if (p.warren) {
      const auto& w = *p.warren;
      flags |= p_warren;
      if (w.consume_rate) flags |= p_consume_rate;
      if (w.produce_rate) flags |= p_produce_rate;
      if (w.time_to_drain_s) flags |= p_drain;
      if (w.unread_deleted_in_ms != partition_time_lag::none) flags |= p_unread_deleted;
      if (w.time_lag.lower_bound) flags |= p_lower_bound;
    }
    varint(flags);
    string(p.topic, topic);
    signed_varint(p.partition);
    string(p.owner, owner);
    string(p.client_id, client);
    byte(static_cast<std::uint8_t>(p.status));
    f32(p.complete);
    varint(p.current_lag);
    if (p.start) offset(*p.start, 0);
    const std::int64_t start_offset = p.start ? p.start->offset : 0;
    if (p.end) offset(*p.end, start_offset);
    if (!p.warren) return;
    const auto& w = *p.warren;
    const std::int64_t end_offset = p.end ? p.end->offset : 0;
    signed_varint(static_cast<std::int64_t>(minus(w.log_end_offset, end_offset)));
    signed_varint(w.log_start_offset);
    signed_varint(w.time_lag.lag_ms);
    signed_varint(w.time_lag.max_error_ms);
    byte(static_cast<std::uint8_t>(w.time_lag.method));
    if (w.consume_rate) f32(*w.consume_rate);
    if (w.produce_rate) f32(*w.produce_rate);
    if (w.time_to_drain_s) f32(*w.time_to_drain_s);
    signed_varint(w.retention_ms);
    if (flags & p_unread_deleted) signed_varint(w.unread_deleted_in_ms);
    varint(w.records_lost);
  }
};

void status_packer::pack(const group_status& s, packed_status& out) {
  scratch_.clear();
  strings_.clear();
  writer w{*this, scratch_, {}, {}, {}, {}};
  std::uint32_t flags = 0;
  if (s.maxlag) flags |= g_maxlag;
  if (s.warren) {
    flags |= g_warren;
    if (s.warren->time_to_drain_s) flags |= g_drain;
    if (s.warren->unread_deleted_in_ms != partition_time_lag::none) flags |= g_unread_deleted;
    if (s.warren->max_time_lag_lower_bound) flags |= g_lower_bound;
  }
  w.varint(flags);
  w.byte(static_cast<std::uint8_t>(s.status));
  w.f32(s.complete);
  w.varint(s.partition_count);
  w.varint(s.totallag);
  // The group's own fields first, so that unpack(…, false) stops before the partitions.
  if (s.warren) {
    const auto& g = *s.warren;
    w.signed_varint(g.max_time_lag_ms);
    w.string(g.max_time_lag_topic);
    w.signed_varint(g.max_time_lag_partition);
    w.signed_varint(g.sum_time_lag_ms);
    if (g.time_to_drain_s) w.f32(*g.time_to_drain_s);
    if (flags & g_unread_deleted) w.signed_varint(g.unread_deleted_in_ms);
    w.varint(g.data_loss_partitions);
  }
  if (s.maxlag) w.partition(*s.maxlag);
  w.varint(s.partitions.size());
  for (const auto& p : s.partitions) w.partition(p);
  // Exact capacity: a kept status lives long, and std::string's growth would keep up to twice.
  if (out.bytes_.capacity() < scratch_.size() || out.bytes_.capacity() > scratch_.size() + scratch_.size() / 4 + 32)
    out.bytes_ = std::string(scratch_);
  else
    out.bytes_.assign(scratch_);
  out.status_ = s.status;
  out.evaluated_at_ = s.warren ? s.warren->evaluated_at : 0;
}

// The reading side: the group's head, then partitions one by one into partition_fields (strings
// as views into the packed bytes).
struct status_packer::decoder {
  reader in;
  std::vector<std::string_view>& table;
  running r;

  decoder(const packed_status& packed, std::vector<std::string_view>& t)
      : in{reinterpret_cast<const unsigned char*>(packed.bytes_.data()),
           reinterpret_cast<const unsigned char*>(packed.bytes_.data()) + packed.bytes_.size()},
        table(t) {
    table.clear();
  }
  std::string_view string() {
    const std::uint64_t n = in.varint();
    if (n > 0) return n - 1 < table.size() ? table[n - 1] : std::string_view{};
    const std::uint64_t len = in.varint();
    const std::size_t take = std::min<std::size_t>(len, static_cast<std::size_t>(in.end - in.p));
    std::string_view s(reinterpret_cast<const char*>(in.p), take);
    in.p += take;
    table.push_back(s);
    return s;
  }
  void offset(consumer_offset& o, std::int64_t offset_base, bool has_lag) {
    o.offset = plus(offset_base, static_cast<std::uint64_t>(in.signed_varint()));
    o.order = plus(r.order, static_cast<std::uint64_t>(in.signed_varint()));
    r.order = o.order;
    o.timestamp = plus(r.time, static_cast<std::uint64_t>(in.signed_varint()));
    r.time = o.timestamp;
    o.observed_at = plus(o.timestamp, static_cast<std::uint64_t>(in.signed_varint()));
    if (has_lag)
      o.lag = in.varint();
    else
      o.lag.reset();
  }
  static void put(std::string& to, std::string_view s) { to.assign(s); }
  static void put(std::string_view& to, std::string_view s) { to = s; }
  template <class P>  // partition_status or partition_fields
  void partition(P& p) {
    const auto flags = static_cast<std::uint32_t>(in.varint());
    put(p.topic, string());
    p.partition = static_cast<std::int32_t>(in.signed_varint());
    put(p.owner, string());
    put(p.client_id, string());
    p.status = static_cast<status_code>(in.byte());
    p.complete = in.f32();
    p.current_lag = in.varint();
    if (flags & p_start)
      offset(p.start.emplace(), 0, flags & p_start_lag);
    else
      p.start.reset();
    const std::int64_t start_offset = p.start ? p.start->offset : 0;
    if (flags & p_end)
      offset(p.end.emplace(), start_offset, flags & p_end_lag);
    else
      p.end.reset();
    if (!(flags & p_warren)) {
      p.warren.reset();
      return;
    }
    auto& w = p.warren.emplace();
    const std::int64_t end_offset = p.end ? p.end->offset : 0;
    w.log_end_offset = plus(end_offset, static_cast<std::uint64_t>(in.signed_varint()));
    w.log_start_offset = in.signed_varint();
    w.time_lag.lag_ms = in.signed_varint();
    w.time_lag.max_error_ms = in.signed_varint();
    w.time_lag.method = static_cast<time_lag_method>(in.byte());
    w.time_lag.lower_bound = flags & p_lower_bound;
    if (flags & p_consume_rate) w.consume_rate = in.f32();
    if (flags & p_produce_rate) w.produce_rate = in.f32();
    if (flags & p_drain) w.time_to_drain_s = in.f32();
    w.retention_ms = in.signed_varint();
    w.unread_deleted_in_ms = flags & p_unread_deleted ? in.signed_varint() : partition_time_lag::none;
    w.records_lost = in.varint();
  }
  // The group's own fields and its maxlag partition; leaves `in` at the partition count.
  void head(const packed_status& packed, group_status& out) {
    const auto flags = static_cast<std::uint32_t>(in.varint());
    out.status = static_cast<status_code>(in.byte());
    out.complete = in.f32();
    out.partition_count = in.varint();
    out.totallag = in.varint();
    if (flags & g_warren) {
      auto& g = out.warren.emplace();
      g.evaluated_at = packed.evaluated_at_;
      g.max_time_lag_ms = in.signed_varint();
      g.max_time_lag_topic.assign(string());
      g.max_time_lag_partition = static_cast<std::int32_t>(in.signed_varint());
      g.sum_time_lag_ms = in.signed_varint();
      g.max_time_lag_lower_bound = flags & g_lower_bound;
      if (flags & g_drain) g.time_to_drain_s = in.f32();
      g.unread_deleted_in_ms = flags & g_unread_deleted ? in.signed_varint() : partition_time_lag::none;
      g.data_loss_partitions = static_cast<std::uint32_t>(in.varint());
    } else {
      out.warren.reset();
    }
    if (flags & g_maxlag)
      partition(out.maxlag ? *out.maxlag : out.maxlag.emplace());
    else
      out.maxlag.reset();
  }
  std::size_t partition_count(const packed_status& packed) {
    return std::min<std::uint64_t>(in.varint(), packed.bytes_.size());
  }
};

void status_packer::unpack(const packed_status& packed, std::string_view cluster, std::string_view group,
                           group_status& out, bool with_partitions) const {
  decoder d(packed, table_);
  out.cluster.assign(cluster);
  out.group.assign(group);
  d.head(packed, out);
  if (!with_partitions) {
    out.partitions.clear();
    return;
  }
  out.partitions.resize(d.partition_count(packed));
  for (auto& p : out.partitions) d.partition(p);
}

void status_packer::unpack(const packed_status& packed, std::string_view cluster, std::string_view group,
                           group_status& out, std::vector<partition_fields>& partitions) const {
  decoder d(packed, table_);
  out.cluster.assign(cluster);
  out.group.assign(group);
  d.head(packed, out);
  out.partitions.clear();
  partitions.resize(d.partition_count(packed));
  for (auto& p : partitions) d.partition(p);
}

}  // namespace warren
