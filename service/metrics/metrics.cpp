#include "service/metrics/metrics.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <optional>
#include <span>

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

// ---- Per-group families: rendered family by family, each over every kept status ----
// Appends without temporaries: label values escaped in place, numbers through to_chars (the same
// text as std::to_string and "%.6g").
// One pass over the value: find_first_of with a three-character set calls memchr per character.
bool needs_escape(std::string_view v) {
  for (char c : v)
    if (c == '\\' || c == '"' || c == '\n') return true;
  return false;
}
void put_escaped(std::string& out, std::string_view v) {
  if (!needs_escape(v)) {
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
// The families that read a group's partitions; the others are served statuses unpacked without them.
constexpr bool reads_partitions(family f) {
  switch (f) {
    case f_burrow_partition_lag:
    case f_burrow_current_offset:
    case f_burrow_partition_status:
    case f_kle_offset:
    case f_kle_lag:
    case f_kle_lag_seconds:
    case f_kle_topic_sum_lag:
    case f_warren_partition_lag_seconds:
    case f_warren_records_lost:
      return true;
    default:
      return false;
  }
}
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

// The scratch strings of one scrape, reused between groups (their capacity is kept): the group's
// label prefix in the family's label style, escaped once per group and family, and the escaped
// topic of the partition being rendered.
struct label_scratch {
  std::string labels, topic;
  std::string_view last_topic;  ///< as read in place: repeats share the packed bytes
  bool topic_set = false;
  // kafka-lag-exporter's member labels of the last partition rendered (raw, then escaped): the
  // partitions of a group mostly share an owner.
  std::string owner, client, members;
};

// Appends family `f`'s samples of `g`. Partitions are in (topic, partition) order.
// KLE: a partition without a committed offset has no value; its member labels are "unknown" when
// no member owns the partition, and consumer_id is always "unknown" (Warren keeps the member's host
// and client id, not its id: proto/http/openapi.yaml). Unknown values are left out rather than
// written as NaN. Per partition Warren adds only the time lag with its method and records lost
// (when > 0): time to drain and retention risk are per group here (per partition in the JSON).
void render_family(std::string& o, const group_status& g, std::span<const partition_fields> parts, family f,
                   label_scratch& ls) {
  // kafka-lag-exporter's families use its label names, Burrow's and Warren's use Burrow's.
  const bool kle_style = families[f].set == metric_set_kle;
  std::string& labels = ls.labels;
  labels.assign(kle_style ? "{cluster_name=\"" : "{cluster=\"");
  put_escaped(labels, g.cluster);
  labels.append(kle_style ? "\",group=\"" : "\",consumer_group=\"");
  put_escaped(labels, g.group);
  labels += '"';
  ls.topic_set = false;
  auto topic_of = [&](const partition_fields& p) -> const std::string& {
    if (!ls.topic_set || ls.last_topic.data() != p.topic.data() || ls.last_topic.size() != p.topic.size()) {
      ls.topic.clear();
      put_escaped(ls.topic, p.topic);
      ls.last_topic = p.topic;
      ls.topic_set = true;
    }
    return ls.topic;
  };
  auto name = [&](family n) { o.append(families[n].name); };
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
  auto group_sample = [&](family n, const std::string& l) {
    name(n);
    o += l;
    o += '}';
  };
  // Burrow's partition labels: cluster, consumer_group, partition, topic.
  auto burrow_partition = [&](family n, const partition_fields& p) {
    name(n);
    o += labels;
    o += ",partition=\"";
    put_int(o, p.partition);
    o += "\",topic=\"";
    o += topic_of(p);
    o += "\"}";
  };
  auto kle_partition = [&](family n, const partition_fields& p) {
    name(n);
    o += labels;
    o += ",topic=\"";
    o += topic_of(p);
    o += "\",partition=\"";
    put_int(o, p.partition);
    if (ls.members.empty() || ls.owner != p.owner || ls.client != p.client_id) {
      ls.owner = p.owner;
      ls.client = p.client_id;
      ls.members.assign("\",member_host=\"");
      put_escaped(ls.members, or_unknown(p.owner));
      ls.members += "\",consumer_id=\"unknown\",client_id=\"";
      put_escaped(ls.members, or_unknown(p.client_id));
      ls.members += "\"}";
    }
    o += ls.members;
  };
  auto warren_partition = [&](family n, const partition_fields& p) {
    name(n);
    o += labels;
    o += ",topic=\"";
    o += topic_of(p);
    o += "\",partition=\"";
    put_int(o, p.partition);
    o += '"';
  };

  switch (static_cast<family>(f)) {
    case f_burrow_lag_total:
      group_sample(f_burrow_lag_total, labels);
      end_int(g.totallag);
      break;
    case f_burrow_status:
      group_sample(f_burrow_status, labels);
      end_int(static_cast<int>(g.status));
      break;
    case f_burrow_partition_lag:
      for (const auto& p : parts) {
        burrow_partition(f_burrow_partition_lag, p);
        end_int(p.current_lag);
      }
      break;
    case f_burrow_current_offset:
      for (const auto& p : parts) {
        if (p.complete < 1.0f || !p.end) continue;  // Burrow: only complete partitions
        burrow_partition(f_burrow_current_offset, p);
        end_int(p.end->offset);
      }
      break;
    case f_burrow_partition_status:
      for (const auto& p : parts) {
        if (p.complete < 1.0f) continue;
        burrow_partition(f_burrow_partition_status, p);
        end_int(static_cast<int>(p.status));
      }
      break;
    case f_kle_offset:
      for (const auto& p : parts) {
        if (!p.end) continue;
        kle_partition(f_kle_offset, p);
        end_int(p.end->offset);
      }
      break;
    case f_kle_lag:
      for (const auto& p : parts) {
        if (!p.end) continue;
        kle_partition(f_kle_lag, p);
        end_int(p.current_lag);
      }
      break;
    case f_kle_lag_seconds:
      for (const auto& p : parts) {
        if (!p.end || !p.warren || p.warren->time_lag.lag_ms < 0) continue;
        kle_partition(f_kle_lag_seconds, p);
        end_double(seconds(p.warren->time_lag.lag_ms));
      }
      break;
    case f_kle_max_lag:
      group_sample(f_kle_max_lag, labels);
      end_int(g.maxlag ? g.maxlag->current_lag : 0);
      break;
    case f_kle_max_lag_seconds:
      if (g.warren && g.warren->max_time_lag_ms >= 0) {
        group_sample(f_kle_max_lag_seconds, labels);
        end_double(seconds(g.warren->max_time_lag_ms));
      }
      break;
    case f_kle_sum_lag:
      group_sample(f_kle_sum_lag, labels);
      end_int(g.totallag);
      break;
    case f_kle_topic_sum_lag:
      // One sum per run of a topic.
      for (std::size_t i = 0; i < parts.size();) {
        std::uint64_t sum = 0;
        std::size_t j = i;
        for (; j < parts.size() && parts[j].topic == parts[i].topic; ++j)
          sum += parts[j].current_lag;
        name(f_kle_topic_sum_lag);
        o += labels;
        o += ",topic=\"";
        o += topic_of(parts[i]);
        o += "\"}";
        end_int(sum);
        i = j;
      }
      break;
    case f_warren_partition_lag_seconds:
      for (const auto& p : parts) {
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
        group_sample(f_warren_time_to_drain, labels);
        end_double(static_cast<double>(*g.warren->time_to_drain_s));
      }
      break;
    case f_warren_unread_deleted_in:
      if (g.warren && g.warren->unread_deleted_in_ms != partition_time_lag::none) {
        group_sample(f_warren_unread_deleted_in, labels);
        end_double(seconds(g.warren->unread_deleted_in_ms));
      }
      break;
    case f_warren_data_loss:
      group_sample(f_warren_data_loss, labels);
      end_int(g.warren && g.warren->data_loss_partitions > 0 ? 1 : 0);
      break;
    case f_warren_records_lost:
      for (const auto& p : parts) {
        if (!p.warren || p.warren->records_lost == 0) continue;
        warren_partition(f_warren_records_lost, p);
        o += '}';
        end_int(p.warren->records_lost);
      }
      break;
    case f_warren_partition_count:
      group_sample(f_warren_partition_count, labels);
      end_int(g.partition_count);
      break;
    case f_warren_complete:
      group_sample(f_warren_complete, labels);
      end_double(static_cast<double>(g.complete));
      break;
    case family_count: break;
  }
}

using steady = std::chrono::steady_clock;
// One io-thread turn of a scrape: render until this is spent (checked every few groups).
constexpr auto slice_budget = std::chrono::microseconds(2000);
// A batch handed to the server: about this many bytes (one chunk, one write); a batch ends after
// the group that crossed it.
constexpr std::size_t batch_bytes = 1 << 20;

// One scrape (types.hpp body_source): for each enabled family its header, then that family's
// samples of every kept status in (cluster, group) order, rendered straight into the batch buffer;
// then the tail. Nothing is kept between scrapes and a scrape holds one batch, so memory does not
// grow with the body. Between two batches the scrape keeps only the family and the last group
// rendered, and goes on after that group: a group added meanwhile appears in the families still to
// come (and in the current one if it sorts after the resume point), a removed group is not met
// again. Every family stays contiguous and no series repeats.
class scrape_source final : public http::body_source {
 public:
  scrape_source(const group_evaluator* ev, unsigned sets, std::function<std::string()> tail)
      : ev_(ev), sets_(sets), tail_(std::move(tail)) {
    family_ = ev_ ? next_enabled(0) : std::size_t{family_count};
  }

  bool next(std::vector<std::string_view>& pieces) override {
    pieces.clear();
    if (done_) return false;
    if (family_ < family_count) {
      render_batch();
      pieces.emplace_back(buf_);
      return true;
    }
    buf_ = tail_ ? tail_() : std::string();
    pieces.emplace_back(buf_);
    done_ = true;
    return false;
  }

 private:
  std::size_t next_enabled(std::size_t f) const {
    while (f < family_count && !(families[f].set & sets_)) ++f;
    return f;
  }

  void render_batch() {
    buf_.clear();
    if (buf_.capacity() < batch_bytes + batch_bytes / 4) buf_.reserve(batch_bytes + batch_bytes / 4);
    const auto began = steady::now();
    unsigned rendered = 0;
    while (family_ < family_count) {
      if (!started_) {
        buf_ += family_header(families[family_]);
        started_ = true;
        resume_cluster_.clear();
        resume_group_.clear();
      }
      bool stopped = false;
      const auto f = static_cast<family>(family_);
      auto one = [&](const group_status& g, std::span<const partition_fields> parts) {
        render_family(buf_, g, parts, f, scratch_);
        if (buf_.size() < batch_bytes && (++rendered & 31) != 0) return true;
        if (buf_.size() < batch_bytes && steady::now() - began < slice_budget) return true;
        resume_cluster_ = g.cluster;
        resume_group_ = g.group;
        stopped = true;
        return false;
      };
      if (reads_partitions(f))
        ev_->for_each_fields_after(resume_cluster_, resume_group_, one);
      else
        ev_->for_each_after(resume_cluster_, resume_group_,
                            [&](const group_status& g, std::uint64_t) { return one(g, {}); }, false);
      if (stopped) return;
      family_ = next_enabled(family_ + 1);
      started_ = false;
    }
  }

  const group_evaluator* ev_;
  unsigned sets_;
  std::function<std::string()> tail_;
  std::size_t family_ = family_count;
  bool started_ = false;  ///< the current family's header is written
  bool done_ = false;
  std::string resume_cluster_, resume_group_;  ///< the last group rendered; "" = from the start
  label_scratch scratch_;
  std::string buf_;
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

std::shared_ptr<http::body_source> scrape_metrics(const group_evaluator* ev, unsigned sets,
                                                  std::function<std::string()> tail) {
  return std::make_shared<scrape_source>(ev, sets, std::move(tail));
}

std::string render_metrics(const metrics_sources& s, unsigned sets) {
  scrape_source src(s.evaluator, sets, [&] { return render_metrics_tail(s, sets); });
  std::string out;
  std::vector<std::string_view> pieces;
  for (bool more = true; more;) {
    more = src.next(pieces);
    for (auto p : pieces) out.append(p);
  }
  return out;
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
    w.header("warren_evaluator_kept_bytes", "Heap bytes of the kept group statuses (packed)");
    w.sample("warren_evaluator_kept_bytes", {}, es.kept_bytes);
    w.header("warren_evaluator_held_changes_total",
             "Group changes met while their cluster's first replay ran (evaluated once it was over)", "counter");
    w.sample("warren_evaluator_held_changes_total", {}, es.held_marks);
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
    w.header("warren_offsets_fetcher_wakes_total",
             "ListOffsets requests sent during the replay to wake the fetcher after a drain emptied its queue",
             "counter");
    for (const auto* r : s.readers)
      w.sample("warren_offsets_fetcher_wakes_total", {{"consumer", r->name()}, {"cluster", r->cluster()}},
               r->stats().fetcher_wakes);
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
    w.header("warren_status_topic_lag_scan_slices_total",
             "io-thread turns of the scans that republish owned groups whose lag moved", "counter");
    for (const auto& f : s.fleets)
      w.sample("warren_status_topic_lag_scan_slices_total", {{"consumer", f.consumer}, {"cluster", f.cluster}, {"topic", f.topic}},
               f.lag_scan_slices);
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
