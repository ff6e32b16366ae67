#include "service/metrics/metrics.hpp"

#include <cstdio>

#include "service/cluster/cluster_poller.hpp"
#include "service/evaluator/group_evaluator.hpp"
#include "service/offsets/decode.hpp"
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
