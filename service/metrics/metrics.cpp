#include "service/metrics/metrics.hpp"

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

// kafka-lag-exporter's series (its names and labels, so its Grafana dashboards work) and Warren's
// time-lag series (issue 11), from the kept statuses. One pass per family: the text format wants a
// family's samples together. Unknown values are left out rather than written as NaN. Per
// partition Warren adds only the time lag with its method and records lost (when > 0): time to
// drain and retention risk are per group here (per partition in the JSON), which keeps the body at
// 4 added lines per partition.
void render_time_lag_series(writer& w, const group_evaluator& ev) {
  // KLE's member labels: "unknown" when no member owns the partition. Warren does not keep the
  // member id (only host and client id), so consumer_id is "unknown" (proto/http/openapi.yaml).
  auto partition_family = [&](const char* name, const char* help, auto&& value) {
    w.header(name, help);
    ev.for_each({}, [&](const group_status& g) {
      for (const auto& p : g.partitions) {
        if (!p.end) continue;  // KLE: a partition without a committed offset has no value
        const auto v = value(p);
        if (!v) continue;
        const auto part = std::to_string(p.partition);
        w.sample(name,
                 {{"cluster_name", g.cluster}, {"group", g.group}, {"topic", p.topic}, {"partition", part},
                  {"member_host", or_unknown(p.owner)}, {"consumer_id", "unknown"},
                  {"client_id", or_unknown(p.client_id)}},
                 *v);
      }
    });
  };
  partition_family("kafka_consumergroup_group_offset", "Last group consumed offset of a partition",
                   [](const partition_status& p) { return std::optional<std::int64_t>(p.end->offset); });
  partition_family("kafka_consumergroup_group_lag", "Group offset lag of a partition",
                   [](const partition_status& p) { return std::optional<std::uint64_t>(p.current_lag); });
  partition_family("kafka_consumergroup_group_lag_seconds", "Group time lag of a partition",
                   [](const partition_status& p) -> std::optional<double> {
                     if (!p.warren || p.warren->time_lag.lag_ms < 0) return std::nullopt;
                     return seconds(p.warren->time_lag.lag_ms);
                   });
  w.header("kafka_consumergroup_group_max_lag", "Max group offset lag");
  ev.for_each({}, [&](const group_status& g) {
    w.sample("kafka_consumergroup_group_max_lag", {{"cluster_name", g.cluster}, {"group", g.group}},
             g.maxlag ? g.maxlag->current_lag : 0);
  });
  w.header("kafka_consumergroup_group_max_lag_seconds", "Max group time lag");
  ev.for_each({}, [&](const group_status& g) {
    if (g.warren && g.warren->max_time_lag_ms >= 0)
      w.sample("kafka_consumergroup_group_max_lag_seconds", {{"cluster_name", g.cluster}, {"group", g.group}},
               seconds(g.warren->max_time_lag_ms));
  });
  w.header("kafka_consumergroup_group_sum_lag", "Sum of group offset lag");
  ev.for_each({}, [&](const group_status& g) {
    w.sample("kafka_consumergroup_group_sum_lag", {{"cluster_name", g.cluster}, {"group", g.group}}, g.totallag);
  });
  w.header("kafka_consumergroup_group_topic_sum_lag", "Sum of group offset lag across topic partitions");
  ev.for_each({}, [&](const group_status& g) {
    // Partitions are in (topic, partition) order: one sum per run of a topic.
    for (std::size_t i = 0; i < g.partitions.size();) {
      std::uint64_t sum = 0;
      std::size_t j = i;
      for (; j < g.partitions.size() && g.partitions[j].topic == g.partitions[i].topic; ++j)
        sum += g.partitions[j].current_lag;
      w.sample("kafka_consumergroup_group_topic_sum_lag",
               {{"cluster_name", g.cluster}, {"group", g.group}, {"topic", g.partitions[i].topic}}, sum);
      i = j;
    }
  });

  w.header("warren_consumer_partition_lag_seconds",
           "Age of the oldest unconsumed record of the partition, by method; lower_bound=\"true\" when it is a lower bound");
  ev.for_each({}, [&](const group_status& g) {
    for (const auto& p : g.partitions) {
      if (!p.warren || p.warren->time_lag.lag_ms < 0) continue;
      const auto part = std::to_string(p.partition);
      w.sample("warren_consumer_partition_lag_seconds",
               {{"cluster", g.cluster}, {"consumer_group", g.group}, {"topic", p.topic}, {"partition", part},
                {"method", to_string(p.warren->time_lag.method)},
                {"lower_bound", p.warren->time_lag.lower_bound ? "true" : "false"}},
               seconds(p.warren->time_lag.lag_ms));
    }
  });
  w.header("warren_consumer_time_to_drain_seconds",
           "Seconds until the group's lag reaches 0 at current rates (absent when not draining)");
  ev.for_each({}, [&](const group_status& g) {
    if (g.warren && g.warren->time_to_drain_s)
      w.sample("warren_consumer_time_to_drain_seconds", {{"cluster", g.cluster}, {"consumer_group", g.group}},
               static_cast<double>(*g.warren->time_to_drain_s));
  });
  w.header("warren_consumer_unread_deleted_in_seconds",
           "Seconds until the group's oldest unread record becomes eligible for deletion by retention.ms (<= 0: already)");
  ev.for_each({}, [&](const group_status& g) {
    if (g.warren && g.warren->unread_deleted_in_ms != partition_time_lag::none)
      w.sample("warren_consumer_unread_deleted_in_seconds", {{"cluster", g.cluster}, {"consumer_group", g.group}},
               seconds(g.warren->unread_deleted_in_ms));
  });
  w.header("warren_consumer_data_loss",
           "1 when a committed offset of the group is below its partition's log start (unread records deleted)");
  ev.for_each({}, [&](const group_status& g) {
    w.sample("warren_consumer_data_loss", {{"cluster", g.cluster}, {"consumer_group", g.group}},
             g.warren && g.warren->data_loss_partitions > 0 ? 1 : 0);
  });
  w.header("warren_consumer_partition_records_lost",
           "Records below the log start the group never read (log start - committed offset; only when > 0)");
  ev.for_each({}, [&](const group_status& g) {
    for (const auto& p : g.partitions) {
      if (!p.warren || p.warren->records_lost == 0) continue;
      const auto part = std::to_string(p.partition);
      w.sample("warren_consumer_partition_records_lost",
               {{"cluster", g.cluster}, {"consumer_group", g.group}, {"topic", p.topic}, {"partition", part}},
               p.warren->records_lost);
    }
  });
}

// kafka-lag-exporter's per-partition log offsets and Warren's topic retention, from the store.
void render_partition_offsets(writer& w, const offset_store& store) {
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

}  // namespace

std::string render_metrics(const metrics_sources& s) {
  writer w;
  w.out.reserve(64 * 1024);
  if (s.evaluator) {
    // Burrow's gauges, same names and labels; status codes 1 OK, 2 WARN, 3 ERR (group) and
    // 1 OK, 2 WARN, 4 STOP, 5 STALL, 6 REWIND (partition).
    w.header("burrow_kafka_consumer_lag_total", "The sum of all partition current lag values for the group");
    s.evaluator->for_each({}, [&](const group_status& g) {
      w.sample("burrow_kafka_consumer_lag_total", {{"cluster", g.cluster}, {"consumer_group", g.group}}, g.totallag);
    });
    w.header("burrow_kafka_consumer_status", "The status of the consumer group (1 OK, 2 WARN, 3 ERR)");
    s.evaluator->for_each({}, [&](const group_status& g) {
      w.sample("burrow_kafka_consumer_status", {{"cluster", g.cluster}, {"consumer_group", g.group}},
               static_cast<int>(g.status));
    });
    w.header("burrow_kafka_consumer_partition_lag", "Number of messages the consumer group is behind");
    s.evaluator->for_each({}, [&](const group_status& g) {
      for (const auto& p : g.partitions) {
        auto part = std::to_string(p.partition);
        w.sample("burrow_kafka_consumer_partition_lag",
                 {{"cluster", g.cluster}, {"consumer_group", g.group}, {"partition", part}, {"topic", p.topic}},
                 p.current_lag);
      }
    });
    w.header("burrow_kafka_consumer_current_offset", "Latest offset committed by the consumer group");
    s.evaluator->for_each({}, [&](const group_status& g) {
      for (const auto& p : g.partitions) {
        if (p.complete < 1.0f || !p.end) continue;  // Burrow: only complete partitions
        auto part = std::to_string(p.partition);
        w.sample("burrow_kafka_consumer_current_offset",
                 {{"cluster", g.cluster}, {"consumer_group", g.group}, {"partition", part}, {"topic", p.topic}},
                 p.end->offset);
      }
    });
    w.header("burrow_kafka_topic_partition_status", "The status of the topic partition for the consumer group");
    s.evaluator->for_each({}, [&](const group_status& g) {
      for (const auto& p : g.partitions) {
        if (p.complete < 1.0f) continue;
        auto part = std::to_string(p.partition);
        w.sample("burrow_kafka_topic_partition_status",
                 {{"cluster", g.cluster}, {"consumer_group", g.group}, {"partition", part}, {"topic", p.topic}},
                 static_cast<int>(p.status));
      }
    });
    render_time_lag_series(w, *s.evaluator);
    // Warren's additions.
    w.header("warren_consumer_partition_count", "Partitions of the consumer group (Burrow's partition_count)");
    s.evaluator->for_each({}, [&](const group_status& g) {
      w.sample("warren_consumer_partition_count", {{"cluster", g.cluster}, {"consumer_group", g.group}},
               g.partition_count);
    });
    w.header("warren_consumer_complete", "Fraction of the group's partitions with a complete window");
    s.evaluator->for_each({}, [&](const group_status& g) {
      w.sample("warren_consumer_complete", {{"cluster", g.cluster}, {"consumer_group", g.group}},
               static_cast<double>(g.complete));
    });
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
    render_partition_offsets(w, *s.store);
    w.header("warren_store_groups", "Groups stored");
    w.header("warren_store_tracked_partitions", "Group partitions with a commit window");
    w.header("warren_store_pending_commits", "Commits held until their topic appears in broker metadata");
    for (const auto& c : s.store->cluster_names()) {
      const auto* st = s.store->cluster(c);
      w.sample("warren_store_groups", {{"cluster", c}}, st->group_count());
      w.sample("warren_store_tracked_partitions", {{"cluster", c}}, st->tracked_partitions());
      w.sample("warren_store_pending_commits", {{"cluster", c}}, st->pending_count());
    }
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
