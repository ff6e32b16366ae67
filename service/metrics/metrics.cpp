#include "service/metrics/metrics.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <optional>

#include "service/cluster/cluster_poller.hpp"
#include "service/evaluator/group_evaluator.hpp"
#include "service/offsets/decode.hpp"
#include "service/offsets/admin_source.hpp"
#include "service/offsets/offsets_reader.hpp"
#include "service/storage/offset_store.hpp"

namespace warren {

std::string escape_label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

namespace {
struct writer {
  std::string out;
  void header(const char* name, const char* help, const char* type = "gauge") {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
  }
  template <class V>
  void sample(const char* name, std::initializer_list<std::pair<const char*, std::string_view>> labels, V value) {
    out += name;
    if (labels.size()) {
      out += '{';
      bool first = true;
      for (const auto& [k, v] : labels) {
        if (!first) out += ',';
        first = false;
        out += k;
        out += "=\"";
        out += escape_label(v);
        out += '"';
      }
      out += '}';
    }
    out += ' ';
    if constexpr (std::is_floating_point_v<V>) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.6g", static_cast<double>(value));
      out += buf;
    } else {
      out += std::to_string(value);
    }
    out += '\n';
  }
};
double seconds(std::int64_t ms) { return static_cast<double>(ms) / 1000.0; }
std::string_view or_unknown(std::string_view v) { return v.empty() ? std::string_view("unknown") : v; }

// kafka-lag-exporter's per-partition log offsets and Warren's topic retention, from the store.
void render_partition_offsets(writer& w, const offset_store& store, unsigned sets) {
  if (sets & metric_set_kle) {
    w.header("kafka_partition_latest_offset", "Latest offset of a partition");
    for (const auto& c : store.cluster_names()) {
      const auto* st = store.cluster(c);
      for (const auto& t : st->topics()) {
        auto offsets = st->topic_offsets(t);
        if (!offsets) continue;
        for (std::size_t i = 0; i < offsets->size(); ++i) {
          const auto part = std::to_string(i);
          w.sample("kafka_partition_latest_offset", {{"cluster_name", c}, {"topic", t}, {"partition", part}},
                   (*offsets)[i]);
        }
      }
    }
    w.header("kafka_partition_earliest_offset", "Earliest offset of a partition");
    for (const auto& c : store.cluster_names()) {
      const auto* st = store.cluster(c);
      for (const auto& t : st->topics()) {
        const std::int32_t n = st->partition_count(t).value_or(0);
        for (std::int32_t p = 0; p < n; ++p) {
          const auto v = st->log_start(t, partition_id{p});
          if (v < 0) continue;
          const auto part = std::to_string(p);
          w.sample("kafka_partition_earliest_offset", {{"cluster_name", c}, {"topic", t}, {"partition", part}}, v);
        }
      }
    }
  }
  if (!(sets & metric_set_warren)) return;
  w.header("warren_topic_retention_seconds", "The topic's retention.ms in seconds (-1 = infinite)");
  for (const auto& c : store.cluster_names()) {
    const auto* st = store.cluster(c);
    for (const auto& t : st->topics()) {
      const auto r = st->retention_ms(t);
      if (r == retention_unknown) continue;
      w.sample("warren_topic_retention_seconds", {{"cluster", c}, {"topic", t}}, r < 0 ? -1.0 : seconds(r));
    }
  }
}

// ---- Per-group families: rendered into one fragment per group, family by family ----
// Appends without temporaries: label values escaped in place, numbers through to_chars (the same
// text as std::to_string and "%.6g").
void put_escaped(std::string& out, std::string_view v) {
  if (v.find_first_of("\\\"\n") == std::string_view::npos) {
    out.append(v);
    return;
  }
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}
template <class I>
void put_int(std::string& out, I v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}
void put_double(std::string& out, double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 6);
  out.append(buf, r.ptr);
}

// The per-group families in exposition order, with the set each belongs to.
enum family : std::uint8_t {
  f_burrow_lag_total,
  f_burrow_status,
  f_burrow_partition_lag,
  f_burrow_current_offset,
  f_burrow_partition_status,
  f_kle_offset,
  f_kle_lag,
  f_kle_lag_seconds,
  f_kle_max_lag,
  f_kle_max_lag_seconds,
  f_kle_sum_lag,
  f_kle_topic_sum_lag,
  f_warren_partition_lag_seconds,
  f_warren_time_to_drain,
  f_warren_unread_deleted_in,
  f_warren_data_loss,
  f_warren_records_lost,
  f_warren_partition_count,
  f_warren_complete,
  family_count
};
struct family_info {
  const char* name;
  const char* help;
  unsigned set;
};
constexpr family_info families[family_count] = {
    // Burrow's gauges, same names and labels; status codes 1 OK, 2 WARN, 3 ERR (group) and
    // 1 OK, 2 WARN, 4 STOP, 5 STALL, 6 REWIND (partition).
    {"burrow_kafka_consumer_lag_total", "The sum of all partition current lag values for the group", metric_set_burrow},
    {"burrow_kafka_consumer_status", "The status of the consumer group (1 OK, 2 WARN, 3 ERR)", metric_set_burrow},
    {"burrow_kafka_consumer_partition_lag", "Number of messages the consumer group is behind", metric_set_burrow},
    {"burrow_kafka_consumer_current_offset", "Latest offset committed by the consumer group", metric_set_burrow},
    {"burrow_kafka_topic_partition_status", "The status of the topic partition for the consumer group",
     metric_set_burrow},
    // kafka-lag-exporter's series (its names and labels, so its Grafana dashboards work).
    {"kafka_consumergroup_group_offset", "Last group consumed offset of a partition", metric_set_kle},
    {"kafka_consumergroup_group_lag", "Group offset lag of a partition", metric_set_kle},
    {"kafka_consumergroup_group_lag_seconds", "Group time lag of a partition", metric_set_kle},
    {"kafka_consumergroup_group_max_lag", "Max group offset lag", metric_set_kle},
    {"kafka_consumergroup_group_max_lag_seconds", "Max group time lag", metric_set_kle},
    {"kafka_consumergroup_group_sum_lag", "Sum of group offset lag", metric_set_kle},
    {"kafka_consumergroup_group_topic_sum_lag", "Sum of group offset lag across topic partitions", metric_set_kle},
    // Warren's time-lag series (issue 11) and additions.
    {"warren_consumer_partition_lag_seconds",
     "Age of the oldest unconsumed record of the partition, by method; lower_bound=\"true\" when it is a lower bound",
     metric_set_warren},
    {"warren_consumer_time_to_drain_seconds",
     "Seconds until the group's lag reaches 0 at current rates (absent when not draining)", metric_set_warren},
    {"warren_consumer_unread_deleted_in_seconds",
     "Seconds until the group's oldest unread record becomes eligible for deletion by retention.ms (<= 0: already)",
     metric_set_warren},
    {"warren_consumer_data_loss",
     "1 when a committed offset of the group is below its partition's log start (unread records deleted)",
     metric_set_warren},
    {"warren_consumer_partition_records_lost",
     "Records below the log start the group never read (log start - committed offset; only when > 0)",
     metric_set_warren},
    {"warren_consumer_partition_count", "Partitions of the consumer group (Burrow's partition_count)",
     metric_set_warren},
    {"warren_consumer_complete", "Fraction of the group's partitions with a complete window", metric_set_warren},
};

std::string family_header(const family_info& f) {
  return std::string("# HELP ") + f.name + ' ' + f.help + "\n# TYPE " + f.name + " gauge\n";
}

/// One group's rendered per-group families: family f is text[offsets[f], offsets[f + 1]).
struct group_fragment {
  std::uint64_t generation = 0;
  std::string text;
  std::array<std::uint32_t, family_count + 1> offsets{};
  std::string_view of(std::size_t f) const { return {text.data() + offsets[f], offsets[f + 1] - offsets[f]}; }
};

// Renders the enabled per-group families of `g`. Partitions are in (topic, partition) order.
// KLE: a partition without a committed offset has no value; its member labels are "unknown" when
// no member owns the partition, and consumer_id is always "unknown" (Warren keeps the member's host
// and client id, not its id: proto/http/openapi.yaml). Unknown values are left out rather than
// written as NaN. Per partition Warren adds only the time lag with its method and records lost
// (when > 0): time to drain and retention risk are per group here (per partition in the JSON).
// `o` is scratch space reused between groups (its capacity is kept): the fragment gets one
// allocation of the exact size.
std::shared_ptr<group_fragment> render_group(const group_status& g, std::uint64_t generation, unsigned sets,
                                             std::string& o) {
  auto frag = std::make_shared<group_fragment>();
  frag->generation = generation;
  o.clear();
  std::string cluster, group;
  put_escaped(cluster, g.cluster);
  put_escaped(group, g.group);
  // Label prefixes of the two label styles, escaped once per group.
  const std::string burrow_labels = "{cluster=\"" + cluster + "\",consumer_group=\"" + group + '"';
  const std::string kle_labels = "{cluster_name=\"" + cluster + "\",group=\"" + group + '"';
  std::string topic;  // the escaped topic of the partition being rendered
  const std::string* last_topic = nullptr;
  auto topic_of = [&](const partition_status& p) -> const std::string& {
    if (!last_topic || *last_topic != p.topic) {
      topic.clear();
      put_escaped(topic, p.topic);
      last_topic = &p.topic;
    }
    return topic;
  };
  auto name = [&](family f) { o.append(families[f].name); };
  auto end_int = [&](auto v) {
    o += ' ';
    put_int(o, v);
    o += '\n';
  };
  auto end_double = [&](double v) {
    o += ' ';
    put_double(o, v);
    o += '\n';
  };
  auto group_sample = [&](family f, const std::string& labels) {
    name(f);
    o += labels;
    o += '}';
  };
  // Burrow's partition labels: cluster, consumer_group, partition, topic.
  auto burrow_partition = [&](family f, const partition_status& p) {
    name(f);
    o += burrow_labels;
    o += ",partition=\"";
    put_int(o, p.partition);
    o += "\",topic=\"";
    o += topic_of(p);
    o += "\"}";
  };
  auto kle_partition = [&](family f, const partition_status& p) {
    name(f);
    o += kle_labels;
    o += ",topic=\"";
    o += topic_of(p);
    o += "\",partition=\"";
    put_int(o, p.partition);
    o += "\",member_host=\"";
    put_escaped(o, or_unknown(p.owner));
    o += "\",consumer_id=\"unknown\",client_id=\"";
    put_escaped(o, or_unknown(p.client_id));
    o += "\"}";
  };
  auto warren_partition = [&](family f, const partition_status& p) {
    name(f);
    o += burrow_labels;
    o += ",topic=\"";
    o += topic_of(p);
    o += "\",partition=\"";
    put_int(o, p.partition);
    o += '"';
  };

  for (std::size_t f = 0; f < family_count; ++f) {
    frag->offsets[f] = static_cast<std::uint32_t>(o.size());
    if (!(families[f].set & sets)) continue;
    switch (static_cast<family>(f)) {
      case f_burrow_lag_total:
        group_sample(f_burrow_lag_total, burrow_labels);
        end_int(g.totallag);
        break;
      case f_burrow_status:
        group_sample(f_burrow_status, burrow_labels);
        end_int(static_cast<int>(g.status));
        break;
      case f_burrow_partition_lag:
        for (const auto& p : g.partitions) {
          burrow_partition(f_burrow_partition_lag, p);
          end_int(p.current_lag);
        }
        break;
      case f_burrow_current_offset:
        for (const auto& p : g.partitions) {
          if (p.complete < 1.0f || !p.end) continue;  // Burrow: only complete partitions
          burrow_partition(f_burrow_current_offset, p);
          end_int(p.end->offset);
        }
        break;
      case f_burrow_partition_status:
        for (const auto& p : g.partitions) {
          if (p.complete < 1.0f) continue;
          burrow_partition(f_burrow_partition_status, p);
          end_int(static_cast<int>(p.status));
        }
        break;
      case f_kle_offset:
        for (const auto& p : g.partitions) {
          if (!p.end) continue;
          kle_partition(f_kle_offset, p);
          end_int(p.end->offset);
        }
        break;
      case f_kle_lag:
        for (const auto& p : g.partitions) {
          if (!p.end) continue;
          kle_partition(f_kle_lag, p);
          end_int(p.current_lag);
        }
        break;
      case f_kle_lag_seconds:
        for (const auto& p : g.partitions) {
          if (!p.end || !p.warren || p.warren->time_lag.lag_ms < 0) continue;
          kle_partition(f_kle_lag_seconds, p);
          end_double(seconds(p.warren->time_lag.lag_ms));
        }
        break;
      case f_kle_max_lag:
        group_sample(f_kle_max_lag, kle_labels);
        end_int(g.maxlag ? g.maxlag->current_lag : 0);
        break;
      case f_kle_max_lag_seconds:
        if (g.warren && g.warren->max_time_lag_ms >= 0) {
          group_sample(f_kle_max_lag_seconds, kle_labels);
          end_double(seconds(g.warren->max_time_lag_ms));
        }
        break;
      case f_kle_sum_lag:
        group_sample(f_kle_sum_lag, kle_labels);
        end_int(g.totallag);
        break;
      case f_kle_topic_sum_lag:
        // One sum per run of a topic.
        for (std::size_t i = 0; i < g.partitions.size();) {
          std::uint64_t sum = 0;
          std::size_t j = i;
          for (; j < g.partitions.size() && g.partitions[j].topic == g.partitions[i].topic; ++j)
            sum += g.partitions[j].current_lag;
          name(f_kle_topic_sum_lag);
          o += kle_labels;
          o += ",topic=\"";
          o += topic_of(g.partitions[i]);
          o += "\"}";
          end_int(sum);
          i = j;
        }
        break;
      case f_warren_partition_lag_seconds:
        for (const auto& p : g.partitions) {
          if (!p.warren || p.warren->time_lag.lag_ms < 0) continue;
          warren_partition(f_warren_partition_lag_seconds, p);
          o += ",method=\"";
          put_escaped(o, to_string(p.warren->time_lag.method));
          o += p.warren->time_lag.lower_bound ? "\",lower_bound=\"true\"}" : "\",lower_bound=\"false\"}";
          end_double(seconds(p.warren->time_lag.lag_ms));
        }
        break;
      case f_warren_time_to_drain:
        if (g.warren && g.warren->time_to_drain_s) {
          group_sample(f_warren_time_to_drain, burrow_labels);
          end_double(static_cast<double>(*g.warren->time_to_drain_s));
        }
        break;
      case f_warren_unread_deleted_in:
        if (g.warren && g.warren->unread_deleted_in_ms != partition_time_lag::none) {
          group_sample(f_warren_unread_deleted_in, burrow_labels);
          end_double(seconds(g.warren->unread_deleted_in_ms));
        }
        break;
      case f_warren_data_loss:
        group_sample(f_warren_data_loss, burrow_labels);
        end_int(g.warren && g.warren->data_loss_partitions > 0 ? 1 : 0);
        break;
      case f_warren_records_lost:
        for (const auto& p : g.partitions) {
          if (!p.warren || p.warren->records_lost == 0) continue;
          warren_partition(f_warren_records_lost, p);
          o += '}';
          end_int(p.warren->records_lost);
        }
        break;
      case f_warren_partition_count:
        group_sample(f_warren_partition_count, burrow_labels);
        end_int(g.partition_count);
        break;
      case f_warren_complete:
        group_sample(f_warren_complete, burrow_labels);
        end_double(static_cast<double>(g.complete));
        break;
      case family_count: break;
    }
  }
  frag->offsets[family_count] = static_cast<std::uint32_t>(o.size());
  frag->text.assign(o);
  return frag;
}

using steady = std::chrono::steady_clock;
// One io-thread turn of a scrape: refresh groups, or gather pieces, until this is spent.
constexpr auto slice_budget = std::chrono::microseconds(2000);
// A batch handed to the server: at most this many bytes (one chunk, one gather write).
constexpr std::size_t batch_bytes = 1 << 20;
// Pieces shorter than this are copied into the batch's staging buffer rather than written as
// their own iovec (a million one-partition groups would otherwise be millions of tiny buffers).
constexpr std::size_t small_piece = 2048;

struct key_view {
  std::string_view cluster, group;
};
struct group_key {
  std::string cluster, group;
};
struct key_less {
  using is_transparent = void;
  static key_view v(const group_key& k) { return {k.cluster, k.group}; }
  static key_view v(const key_view& k) { return k; }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    const key_view x = v(a), y = v(b);
    return x.cluster < y.cluster || (x.cluster == y.cluster && x.group < y.group);
  }
};

}  // namespace

struct metrics_cache::state {
  unsigned sets;
  std::map<group_key, std::shared_ptr<const group_fragment>, key_less> groups;  // (cluster, group) order
  std::array<std::string, family_count> headers;
  std::string scratch;
  counters stats;

  explicit state(unsigned s) : sets(s) {
    for (std::size_t f = 0; f < family_count; ++f) headers[f] = family_header(families[f]);
  }
  void forget(std::map<group_key, std::shared_ptr<const group_fragment>, key_less>::iterator it) {
    stats.bytes -= it->second->text.size();
    ++stats.dropped;
    groups.erase(it);
  }
};

namespace {

// One scrape (types.hpp body_source). Three phases, each in bounded steps:
// 1. refresh: walk the kept statuses in (cluster, group) order beside the cache, re-render the
//    groups whose generation changed, drop cached groups that are gone, and keep a reference to
//    every current fragment (so a later change of the cache cannot pull text from under a write);
// 2. families: for each enabled family its header, then that family's part of every fragment;
// 3. tail: the fresh series.
class scrape_source final : public http::body_source {
 public:
  scrape_source(std::shared_ptr<metrics_cache::state> st, const group_evaluator* ev, std::function<std::string()> tail)
      : st_(std::move(st)), ev_(ev), tail_(std::move(tail)) {
    if (!ev_) phase_ = phase::tail;
  }

  bool next(std::vector<std::string_view>& pieces) override {
    pieces.clear();
    staging_.clear();
    switch (phase_) {
      case phase::refresh:
        refresh();
        return true;
      case phase::gather:
        gather(pieces);
        return true;
      case phase::tail:
        tail_text_ = tail_ ? tail_() : std::string();
        pieces.emplace_back(tail_text_);
        phase_ = phase::done;
        return false;
      case phase::done: break;
    }
    return false;
  }

 private:
  enum class phase { refresh, gather, tail, done };

  void refresh() {
    auto& st = *st_;
    auto& cache = st.groups;
    const auto began = steady::now();
    auto it = started_ ? cache.upper_bound(key_view{resume_.cluster, resume_.group}) : cache.begin();
    bool stopped = false;
    ev_->for_each_after(resume_.cluster, resume_.group, [&](const group_status& g, std::uint64_t generation) {
      const key_view k{g.cluster, g.group};
      while (it != cache.end() && key_less{}(it->first, k)) st.forget(it++);  // removed groups
      if (it != cache.end() && !key_less{}(k, it->first)) {
        if (it->second->generation != generation) {
          st.stats.bytes -= it->second->text.size();
          it->second = render_group(g, generation, st.sets, st.scratch);
          st.stats.bytes += it->second->text.size();
          ++st.stats.rendered;
        } else {
          ++st.stats.reused;
        }
      } else {
        it = cache.emplace_hint(it, group_key{g.cluster, g.group}, render_group(g, generation, st.sets, st.scratch));
        st.stats.bytes += it->second->text.size();
        ++st.stats.rendered;
      }
      fragments_.push_back(it->second);
      ++it;
      if (steady::now() - began < slice_budget) return true;
      resume_ = group_key{g.cluster, g.group};
      stopped = true;
      return false;
    });
    started_ = true;
    if (stopped) return;
    while (it != cache.end()) st.forget(it++);  // removed since the last scrape, after the last kept group
    st.stats.groups = cache.size();
    while (family_ < family_count && !(families[family_].set & st.sets)) ++family_;
    phase_ = family_ < family_count ? phase::gather : phase::tail;
    header_done_ = false;
  }

  void add(std::vector<std::string_view>& pieces, std::string_view p, std::size_t& bytes) {
    if (p.empty()) return;
    bytes += p.size();
    if (p.size() < small_piece) {
      // Staging never reallocates (reserved once), so earlier views into it stay valid.
      const bool extend = !pieces.empty() && !staging_.empty() &&
                          pieces.back().data() + pieces.back().size() == staging_.data() + staging_.size();
      staging_.append(p);
      if (extend) pieces.back() = std::string_view(pieces.back().data(), pieces.back().size() + p.size());
      else pieces.emplace_back(staging_.data() + staging_.size() - p.size(), p.size());
      return;
    }
    pieces.emplace_back(p);
  }

  void gather(std::vector<std::string_view>& pieces) {
    auto& st = *st_;
    if (staging_.capacity() < batch_bytes) staging_.reserve(batch_bytes);
    const auto began = steady::now();
    std::size_t bytes = 0;
    while (family_ < family_count) {
      if (!header_done_) {
        add(pieces, st.headers[family_], bytes);
        header_done_ = true;
        index_ = 0;
      }
      for (; index_ < fragments_.size(); ++index_) {
        if (bytes >= batch_bytes - small_piece || ((index_ & 255) == 0 && steady::now() - began > slice_budget))
          return;
        add(pieces, fragments_[index_]->of(family_), bytes);
      }
      do ++family_;
      while (family_ < family_count && !(families[family_].set & st.sets));
      header_done_ = false;
    }
    fragments_.clear();
    fragments_.shrink_to_fit();
    phase_ = phase::tail;
  }

  std::shared_ptr<metrics_cache::state> st_;
  const group_evaluator* ev_;
  std::function<std::string()> tail_;
  phase phase_ = phase::refresh;
  bool started_ = false;
  group_key resume_;
  std::vector<std::shared_ptr<const group_fragment>> fragments_;
  std::size_t family_ = 0;
  bool header_done_ = false;
  std::size_t index_ = 0;
  std::string staging_;
  std::string tail_text_;
};

}  // namespace

unsigned metric_set_named(std::string_view name) {
  if (name == "burrow") return metric_set_burrow;
  if (name == "kle") return metric_set_kle;
  if (name == "warren") return metric_set_warren;
  return 0;
}

unsigned metric_sets_of(const std::vector<std::string>& names) {
  unsigned sets = 0;
  for (const auto& n : names) sets |= metric_set_named(n);
  return sets;
}

metrics_cache::metrics_cache(unsigned sets) : state_(std::make_shared<state>(sets)) {}
metrics_cache::~metrics_cache() = default;

std::shared_ptr<http::body_source> metrics_cache::scrape(const group_evaluator* ev, std::function<std::string()> tail) {
  return std::make_shared<scrape_source>(state_, ev, std::move(tail));
}

std::string metrics_cache::render(const group_evaluator* ev, const std::function<std::string()>& tail) {
  scrape_source src(state_, ev, tail);
  std::string out;
  std::vector<std::string_view> pieces;
  for (bool more = true; more;) {
    more = src.next(pieces);
    for (auto p : pieces) out.append(p);
  }
  return out;
}

const metrics_cache::counters& metrics_cache::stats() const { return state_->stats; }
unsigned metrics_cache::sets() const { return state_->sets; }

std::string render_metrics(const metrics_sources& s, unsigned sets) {
  metrics_cache cache(sets);
  return cache.render(s.evaluator, [&] { return render_metrics_tail(s, sets); });
}

std::string render_metrics_tail(const metrics_sources& s, unsigned sets) {
  writer w;
  w.out.reserve(64 * 1024);
  if (s.evaluator) {
    const auto& es = s.evaluator->stats();
    w.header("warren_evaluations_total", "Group evaluations", "counter");
    w.sample("warren_evaluations_total", {}, es.evaluations);
    w.header("warren_partition_evaluations_total", "Partition evaluations", "counter");
    w.sample("warren_partition_evaluations_total", {}, es.partitions);
    w.header("warren_status_changes_total", "Group status changes published", "counter");
    w.sample("warren_status_changes_total", {}, es.changes);
    w.header("warren_evaluation_seconds_total", "Time spent evaluating", "counter");
    w.sample("warren_evaluation_seconds_total", {}, es.evaluation_seconds_total);
    w.header("warren_evaluation_pass_seconds", "Duration of the last full evaluation pass");
    w.sample("warren_evaluation_pass_seconds", {}, es.last_pass_seconds);
    w.header("warren_evaluation_longest_slice_seconds",
             "Longest single io-thread turn of a dirty flush or full pass since start");
    w.sample("warren_evaluation_longest_slice_seconds", {}, es.longest_slice_seconds);
    w.header("warren_evaluator_dirty_groups", "Groups marked dirty and waiting for evaluation");
    w.sample("warren_evaluator_dirty_groups", {}, es.dirty);
  }
  if (s.store) {
    if (sets & metric_set_burrow) {
      w.header("burrow_kafka_topic_partition_offset", "Latest offset the topic partition has");
      for (const auto& c : s.store->cluster_names()) {
        const auto* st = s.store->cluster(c);
        for (const auto& t : st->topics()) {
          auto offsets = st->topic_offsets(t);
          if (!offsets) continue;
          for (std::size_t i = 0; i < offsets->size(); ++i) {
            auto part = std::to_string(i);
            w.sample("burrow_kafka_topic_partition_offset", {{"cluster", c}, {"partition", part}, {"topic", t}},
                     (*offsets)[i]);
          }
        }
      }
    }
    render_partition_offsets(w, *s.store, sets);
    // One family's samples together (the text format wants it; several clusters interleaved them).
    const auto clusters = s.store->cluster_names();
    w.header("warren_store_groups", "Groups stored");
    for (const auto& c : clusters) w.sample("warren_store_groups", {{"cluster", c}}, s.store->cluster(c)->group_count());
    w.header("warren_store_tracked_partitions", "Group partitions with a commit window");
    for (const auto& c : clusters)
      w.sample("warren_store_tracked_partitions", {{"cluster", c}}, s.store->cluster(c)->tracked_partitions());
    w.header("warren_store_pending_commits", "Commits held until their topic appears in broker metadata");
    for (const auto& c : clusters)
      w.sample("warren_store_pending_commits", {{"cluster", c}}, s.store->cluster(c)->pending_count());
    const auto& ss = s.store->stats();
    w.header("warren_store_commits_total", "Commits received by the store, by outcome", "counter");
    w.sample("warren_store_commits_total", {{"outcome", "stored"}}, ss.commits_stored);
    w.sample("warren_store_commits_total", {{"outcome", "held"}}, ss.commits_held);
    w.sample("warren_store_commits_total", {{"outcome", "dropped"}}, ss.commits_dropped);
    w.header("warren_store_batches_poisoned_total", "Batches dropped because applying them kept throwing",
             "counter");
    w.sample("warren_store_batches_poisoned_total", {}, ss.batches_poisoned);
    w.header("warren_store_commands_refused_total", "Admin commands refused because the mailbox was full",
             "counter");
    w.sample("warren_store_commands_refused_total", {}, ss.commands_refused);
    w.header("warren_store_mailbox_batches", "Batches waiting in the store's mailbox");
    w.sample("warren_store_mailbox_batches", {}, s.store->queued_batches());
  }
  if (!s.readers.empty()) {
    w.header("warren_offsets_records_total", "Records read from the offsets topic", "counter");
    for (const auto* r : s.readers)
      w.sample("warren_offsets_records_total", {{"consumer", r->name()}, {"cluster", r->cluster()}}, r->stats().records);
    w.header("warren_offsets_records_skipped_total", "Offsets-topic records skipped, by reason", "counter");
    for (const auto* r : s.readers) {
      const auto& st = r->stats();
      for (auto reason : offsets::all_error_reasons)
        w.sample("warren_offsets_records_skipped_total",
                 {{"consumer", r->name()}, {"cluster", r->cluster()}, {"reason", offsets::to_string(reason)}},
                 st.errors[static_cast<std::size_t>(reason)]);
      w.sample("warren_offsets_records_skipped_total",
               {{"consumer", r->name()}, {"cluster", r->cluster()}, {"reason", "other_record_kind"}}, st.other_records);
      w.sample("warren_offsets_records_skipped_total",
               {{"consumer", r->name()}, {"cluster", r->cluster()}, {"reason", "group_filtered"}}, st.filtered);
    }
    w.header("warren_offsets_replay_progress", "Fraction of the start-time offsets topic replayed (1 = ready)");
    for (const auto* r : s.readers) {
      const auto& st = r->stats();
      double f = st.caught_up ? 1.0
                 : st.replay_target > 0 ? static_cast<double>(st.replay_position) / static_cast<double>(st.replay_target)
                                        : 0.0;
      w.sample("warren_offsets_replay_progress", {{"consumer", r->name()}, {"cluster", r->cluster()}}, f);
    }
  }
  if (!s.readers.empty()) {  // issue 14: the offsets-topic partitions each reader owns (all without a cluster-group)
    w.header("warren_offsets_partitions_owned",
             "Offsets-topic partitions this instance reads (its share of the cluster-group; every partition without one)");
    for (const auto* r : s.readers)
      w.sample("warren_offsets_partitions_owned", {{"consumer", r->name()}, {"cluster", r->cluster()}},
               r->stats().owned_partitions.size());
  }
  if (!s.offsets_sources.empty()) {  // issue 13: which source each consumer uses, and fallbacks
    w.header("warren_offsets_source",
             "1 for the committed-offsets source a consumer uses now: mode offsets-topic or kafka-admin (the Admin API)");
    for (const auto& m : s.offsets_sources)
      for (const char* mode : {"offsets-topic", "kafka-admin"})
        w.sample("warren_offsets_source", {{"consumer", m.consumer}, {"cluster", m.cluster}, {"mode", mode}},
                 (std::string_view(mode) == "kafka-admin") == m.admin ? 1 : 0);
    w.header("warren_offsets_fallback",
             "1 when a class kafka consumer switched to the Admin API because its offsets topic could not be read");
    for (const auto& m : s.offsets_sources)
      w.sample("warren_offsets_fallback", {{"consumer", m.consumer}, {"cluster", m.cluster}}, m.fallback ? 1 : 0);
  }
  if (!s.fleets.empty()) {  // issue 14: the fleet's status topic
    w.header("warren_status_topic_ready", "1 once the fleet's status topic is created or found and read");
    for (const auto& f : s.fleets) w.sample("warren_status_topic_ready", {{"consumer", f.consumer}, {"cluster", f.cluster}, {"topic", f.topic}}, f.ready ? 1 : 0);
    w.header("warren_status_topic_synced", "1 while the status topic is read to its end offsets of the last gained assignment");
    for (const auto& f : s.fleets) w.sample("warren_status_topic_synced", {{"consumer", f.consumer}, {"cluster", f.cluster}, {"topic", f.topic}}, f.synced ? 1 : 0);
    w.header("warren_status_topic_records_total",
             "Status records, by outcome: published (tombstones included), delivered, delivery_failed, "
             "produce_refused, read, tombstones_read, rejected (decode errors)",
             "counter");
    for (const auto& f : s.fleets)
      for (auto [outcome, n] : {std::pair<const char*, std::uint64_t>{"published", f.published},
                                {"delivered", f.delivered},
                                {"delivery_failed", f.delivery_failures},
                                {"produce_refused", f.produce_errors},
                                {"read", f.records_read},
                                {"tombstones_read", f.tombstones_read},
                                {"rejected", f.decode_errors}})
        w.sample("warren_status_topic_records_total",
                 {{"consumer", f.consumer}, {"cluster", f.cluster}, {"topic", f.topic}, {"outcome", outcome}}, n);
    w.header("warren_status_topic_groups", "Groups the status topic holds (published by any instance of the fleet)");
    for (const auto& f : s.fleets) w.sample("warren_status_topic_groups", {{"consumer", f.consumer}, {"cluster", f.cluster}, {"topic", f.topic}}, f.remote_groups);
  }
  if (!s.admin_sources.empty()) {  // issue 13: committed offsets from the Admin API
    w.header("warren_admin_schedule_lag_seconds", "How far the kafka-admin offset fetches are behind their schedule");
    for (const auto* a : s.admin_sources)
      w.sample("warren_admin_schedule_lag_seconds", {{"consumer", a->name()}, {"cluster", a->cluster()}},
               static_cast<double>(a->schedule_lag_ms()) / 1000.0);
    w.header("warren_admin_groups", "Groups the kafka-admin source fetches offsets for");
    for (const auto* a : s.admin_sources)
      w.sample("warren_admin_groups", {{"consumer", a->name()}, {"cluster", a->cluster()}}, a->stats().groups);
    w.header("warren_admin_requests_total", "Admin API requests sent, by kind", "counter");
    for (const auto* a : s.admin_sources) {
      const auto& st = a->stats();
      for (auto [kind, n] : {std::pair<const char*, std::uint64_t>{"list_groups", st.list_rounds + st.list_errors},
                             {"describe_groups", st.describe_requests},
                             {"list_offsets", st.offset_requests}})
        w.sample("warren_admin_requests_total", {{"consumer", a->name()}, {"cluster", a->cluster()}, {"kind", kind}}, n);
    }
    w.header("warren_admin_errors_total", "Admin API requests that failed, by kind (list_offsets_timeout: in flight past request-timeout)", "counter");
    for (const auto* a : s.admin_sources) {
      const auto& st = a->stats();
      for (auto [kind, n] : {std::pair<const char*, std::uint64_t>{"list_groups", st.list_errors},
                             {"describe_groups", st.describe_errors},
                             {"list_offsets", st.offset_errors},
                             {"list_offsets_timeout", st.offset_timeouts}})
        w.sample("warren_admin_errors_total", {{"consumer", a->name()}, {"cluster", a->cluster()}, {"kind", kind}}, n);
    }
    w.header("warren_admin_offsets_total", "Committed offsets read, by outcome (changed = sent to the store as a commit)",
             "counter");
    for (const auto* a : s.admin_sources) {
      w.sample("warren_admin_offsets_total", {{"consumer", a->name()}, {"cluster", a->cluster()}, {"outcome", "changed"}},
               a->stats().commits);
      w.sample("warren_admin_offsets_total",
               {{"consumer", a->name()}, {"cluster", a->cluster()}, {"outcome", "unchanged"}}, a->stats().unchanged);
    }
    w.header("warren_admin_round_complete", "1 once every listed group was fetched at least once");
    for (const auto* a : s.admin_sources)
      w.sample("warren_admin_round_complete", {{"consumer", a->name()}, {"cluster", a->cluster()}},
               a->stats().caught_up ? 1 : 0);
  }
  if (!s.pollers.empty()) {
    w.header("warren_cluster_up", "1 when the cluster's brokers answer metadata and offset requests");
    for (const auto* p : s.pollers) w.sample("warren_cluster_up", {{"cluster", p->name()}}, p->stats().reachable ? 1 : 0);
    w.header("warren_cluster_poller_errors_total", "Failed metadata, offset or group-list requests", "counter");
    for (const auto* p : s.pollers) w.sample("warren_cluster_poller_errors_total", {{"cluster", p->name()}}, p->stats().errors);
  }
  if (!s.actors.empty()) {
    w.header("warren_actor_up", "1 while the actor runs; 0 between a failure and its restart");
    for (const auto& a : s.actors)
      w.sample("warren_actor_up", {{"actor", a.actor}, {"cluster", a.cluster}}, a.up ? 1 : 0);
    w.header("warren_actor_restarts_total", "Actor failures (exceptions) since start; each was restarted",
             "counter");
    for (const auto& a : s.actors)
      w.sample("warren_actor_restarts_total", {{"actor", a.actor}, {"cluster", a.cluster}}, a.restarts);
  }
  if (!s.freshness.empty()) {
    w.header("warren_cluster_stale",
             "1 while the cluster's statuses may be stale (unreachable, offsets replaying or reader down)");
    for (const auto& [c, f] : s.freshness) w.sample("warren_cluster_stale", {{"cluster", c}}, f.stale ? 1 : 0);
    w.header("warren_cluster_data_as_of_seconds", "Unix time of the last successful log-end round");
    for (const auto& [c, f] : s.freshness)
      w.sample("warren_cluster_data_as_of_seconds", {{"cluster", c}}, static_cast<double>(f.as_of_ms) / 1000.0);
  }
  if (s.http) {
    w.header("warren_http_requests_total", "HTTP requests by route and status code", "counter");
    for (const auto& [k, n] : s.http->counts) {
      auto code = std::to_string(k.second);
      w.sample("warren_http_requests_total", {{"route", k.first}, {"code", code}}, n);
    }
  }
  w.header("warren_websocket_clients", "Connected WebSocket stream clients");
  w.sample("warren_websocket_clients", {}, s.ws_clients);
  // ws: stream delivery counters (ws_hub.hpp)
  w.header("warren_websocket_slow_client_closes_total", "Stream clients closed because their outbox overflowed",
           "counter");
  w.sample("warren_websocket_slow_client_closes_total", {}, s.ws_slow_closes);
  w.header("warren_websocket_messages_sent_total", "Stream messages written to clients", "counter");
  w.sample("warren_websocket_messages_sent_total", {}, s.ws_messages_sent);
  w.header("warren_websocket_messages_coalesced_total",
           "Stream status messages replaced by a newer status of the same group before sending", "counter");
  w.sample("warren_websocket_messages_coalesced_total", {}, s.ws_messages_coalesced);
  w.header("warren_websocket_messages_dropped_total", "Stream messages discarded from slow clients' outboxes",
           "counter");
  w.sample("warren_websocket_messages_dropped_total", {}, s.ws_messages_dropped);
  if (!s.notifiers.empty()) {  // notifier: per-module delivery (notifier/sender.hpp)
    w.header("warren_notifier_sent_total", "Notifications delivered (the receiver accepted them)", "counter");
    for (const auto& n : s.notifiers) w.sample("warren_notifier_sent_total", {{"notifier", n.name}}, n.sent);
    w.header("warren_notifier_failed_total",
             "Notifications given up on (last retry failed, not retryable, or the template failed)", "counter");
    for (const auto& n : s.notifiers) w.sample("warren_notifier_failed_total", {{"notifier", n.name}}, n.failed);
    w.header("warren_notifier_dropped_total", "Notifications dropped because the module's queue was full (oldest first)",
             "counter");
    for (const auto& n : s.notifiers) w.sample("warren_notifier_dropped_total", {{"notifier", n.name}}, n.dropped);
    w.header("warren_notifier_retries_total", "Delivery attempts after a failed one", "counter");
    for (const auto& n : s.notifiers) w.sample("warren_notifier_retries_total", {{"notifier", n.name}}, n.retries);
    w.header("warren_notifier_queued", "Notifications waiting in the module's queue");
    for (const auto& n : s.notifiers) w.sample("warren_notifier_queued", {{"notifier", n.name}}, n.queued);
    w.header("warren_notifier_latency_seconds", "From the status change to the receiver's acceptance", "histogram");
    for (const auto& n : s.notifiers) {
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < n.latency_bounds.size() && i < n.latency_buckets.size(); ++i) {
        cumulative += n.latency_buckets[i];
        char le[32];
        std::snprintf(le, sizeof le, "%g", n.latency_bounds[i]);
        w.sample("warren_notifier_latency_seconds_bucket", {{"notifier", n.name}, {"le", le}}, cumulative);
      }
      w.sample("warren_notifier_latency_seconds_bucket", {{"notifier", n.name}, {"le", "+Inf"}}, n.latency_count);
      w.sample("warren_notifier_latency_seconds_sum", {{"notifier", n.name}}, n.latency_sum);
      w.sample("warren_notifier_latency_seconds_count", {{"notifier", n.name}}, n.latency_count);
    }
  }
  return std::move(w.out);
}

}  // namespace warren
