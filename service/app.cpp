#include "service/app.hpp"

#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdlib>
#include <list>
#include <map>
#include <set>

#include "service/cluster/cluster_poller.hpp"
#include "service/config/config.hpp"
#include "service/core/actor.hpp"
#include "service/core/clock.hpp"
#include "service/core/feed.hpp"
#include "service/core/log.hpp"
#include "service/core/offload.hpp"
#include "service/core/ready_gate.hpp"
#include "service/evaluator/group_evaluator.hpp"
#include "service/fleet/fleet_status.hpp"  // issue 14 parts 2-3: any instance answers any group
#include "service/http/api_v3.hpp"
#include "service/http/server.hpp"
#include "service/app_settings.hpp"
#include "service/metrics/metrics.hpp"
#include "service/notifier/coordinator.hpp"  // notifier: alerts on status changes
#include "service/offsets/admin_source.hpp"  // issue 13: committed offsets from the Admin API
#include "service/offsets/offsets_reader.hpp"
#include "service/storage/offset_store.hpp"
#include "service/storage/snapshot.hpp"  // issue 14: restart without amnesia
#include "service/ws/ws_hub.hpp"  // ws: live status stream

namespace warren {

namespace {
std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

storage_options storage_from(const storage_module& m) {
  storage_options o;
  o.intervals = m.intervals;
  o.expire_group_s = m.expire_group.count();
  o.min_distance_s = m.min_distance.count();
  o.group_allowlist = m.group_allowlist;
  o.group_denylist = m.group_denylist;
  return o;
}

evaluator_options evaluator_from(const evaluator_module& m) {
  evaluator_options o;
  o.minimum_complete = static_cast<float>(m.minimum_complete);
  o.allowed_lag = static_cast<std::uint64_t>(std::max<std::int64_t>(m.allowed_lag, 0));
  return o;
}

std::vector<std::string> cluster_names(const config& c) {
  std::vector<std::string> out;
  for (const auto& [n, m] : c.clusters) out.push_back(n);
  return out;
}
}  // namespace

struct app::impl {
  explicit impl(const config& c)
      : cfg(c),
        ioc(1),
        signals(ioc, SIGINT, SIGTERM),
        store(ioc.get_executor(), sup, storage_from(c.the_storage()), cluster_names(c)),
        evaluator(ioc.get_executor(), sup, store, evaluator_from(c.the_evaluator()),
                  std::chrono::milliseconds(c.warren.coalesce_ms), c.warren.eval_interval) {
    // Blocking librdkafka calls of one cluster cannot starve another's: one small pool each.
    for (const auto& [name, m] : c.clusters) pools.emplace(name, std::make_unique<blocking_pool>(2));
  }

  const config& cfg;
  asio::io_context ioc;
  supervisor sup;
  std::map<std::string, std::unique_ptr<blocking_pool>, std::less<>> pools;
  asio::signal_set signals;
  feed<cluster_event> cluster_changes;
  offset_store store;
  group_evaluator evaluator;
  std::vector<std::unique_ptr<cluster_poller>> pollers;
  std::vector<std::unique_ptr<offsets_reader>> readers;
  std::vector<std::unique_ptr<fleet::fleet_status>> fleets;  // issue 14: per cluster-group consumer
  fleet::owner_ref self_owner;  // issue 14: this instance as the fleet knows it
  std::vector<std::unique_ptr<admin_source>> admin_sources;  // [consumer.X] class kafka-admin, or a fallback
  std::list<consumer_module> fallback_modules;  // issue 13: the modules fallback sources run with (stable addresses)
  request_counters http_counts;
  const unsigned metric_sets = metric_sets_of(cfg.warren.metrics);
  std::unique_ptr<http::api_v3> api;
  std::unique_ptr<ws::ws_hub> hub;  // ws: `/v3/stream`, created after the evaluator, stopped first
  std::unique_ptr<notifier::coordinator> notifier;  // notifier: after the evaluator, stopped before it
  std::vector<std::unique_ptr<http::server>> servers;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  bool stopping = false;
  std::map<std::string, std::vector<std::int64_t>> resume;  // issue 14: per cluster, the loaded snapshot's positions

  // Issue 14: [warren] state-dir. Snapshots cover the clusters read by exactly one offsets-topic
  // reader (class kafka): the file records that reader's positions. False when the directory is
  // unusable (logged, naming the key).
  bool configure_snapshots() {
    const auto& w = cfg.warren;
    if (w.state_dir.empty()) return true;
    if (auto err = snapshot::check_dir(w.state_dir); !err.empty()) {
      log_error("app", "[warren] state-dir: ", err);
      return false;
    }
    snapshot_settings s{w.state_dir, w.snapshot_interval, {}};
    std::map<std::string, int> readers_of;
    for (const auto& [name, c] : cfg.consumers)
      if (c.class_name == "kafka") {
        ++readers_of[c.cluster];
        s.offsets_topics[c.cluster] = c.offsets_topic;
      }
    for (const auto& [cluster, n] : readers_of)
      if (n > 1) {
        log_warn("app", "[warren] state-dir: cluster ", cluster, " has ", n,
                 " offsets-topic consumers; it is not snapshotted (one position per partition needs one reader)");
        s.offsets_topics.erase(cluster);
      }
    for (const auto& [cluster, topic] : s.offsets_topics) resume[cluster];
    log_info("app", "snapshots of ", s.offsets_topics.size(), " cluster(s) in ", w.state_dir, " every ",
             w.snapshot_interval.count(), " s and at shutdown");
    store.enable_snapshots(std::move(s));
    return true;
  }
  void load_snapshots() {
    for (auto& [cluster, next] : resume) next = store.load_snapshot(cluster);
  }

  bool ready() const {
    for (const auto& a : admin_sources)  // kafka-admin: ready after its first full round
      if (!a->stats().caught_up) {
        auto limit = cfg.warren.ready_timeout;
        return limit.count() > 0 && std::chrono::steady_clock::now() - started > limit;
      }
    bool readers_ready = true;  // issue 14: latched (a cluster-group member: its first assignment read)
    for (const auto& r : readers) readers_ready = readers_ready && r->stats().ready;
    // ... and what they read stored and evaluated (core/ready_gate.hpp).
    const auto& ss = store.stats();
    const auto& es = evaluator.stats();
    if (replay_gate.update({readers_ready, ss.batches_received, ss.batches_done, es.flushes, es.flushes_done, es.dirty}))
      return true;
    auto limit = cfg.warren.ready_timeout;
    return limit.count() > 0 && std::chrono::steady_clock::now() - started > limit;
  }
  mutable ready_gate replay_gate;  // io thread only (ready() runs in HTTP handlers)

  /// Freshness rule (documented in README "Health"): stale while the cluster is unreachable, its
  /// poller or one of its offsets readers is down, a reader lost the brokers, or a reader has not
  /// finished its replay.
  cluster_freshness freshness(const std::string& cluster) const {
    cluster_freshness f;
    for (const auto& p : pollers)
      if (p->name() == cluster) {
        f.as_of_ms = p->stats().last_success_ms;
        f.reachable = p->stats().reachable;
        if (!p->stats().reachable) {
          f.stale = true;
          f.reason = "cluster unreachable: " + p->stats().last_error;
        } else if (!p->up()) {
          f.stale = true;
          f.reason = "cluster poller restarting";
        }
      }
    for (const auto& r : readers) {
      if (r->cluster() != cluster || f.stale) continue;
      if (!r->up()) f.reason = "offsets reader " + r->name() + " restarting";
      else if (!r->stats().unreadable.empty())  // issue 13, fallback = "none"
        f.reason = "offsets reader " + r->name() + " cannot read its offsets topic: " + r->stats().unreadable;
      else if (!r->stats().connected) f.reason = "offsets reader " + r->name() + " cannot reach the brokers";
      else if (!r->stats().cluster_group.empty() && !r->stats().assigned)  // issue 14
        f.reason = "offsets reader " + r->name() + " waiting for its cluster-group " + r->stats().cluster_group +
                   " assignment";
      else if (!r->stats().caught_up) f.reason = "offsets replay in progress";
      f.stale = !f.reason.empty();
    }
    for (const auto& a : admin_sources) {  // kafka-admin
      if (a->cluster() != cluster || f.stale) continue;
      if (!a->up()) f.reason = "admin offsets source " + a->name() + " restarting";
      else if (!a->stats().connected) f.reason = "admin offsets source " + a->name() + ": " + a->stats().last_error;
      else if (!a->stats().caught_up) f.reason = "admin offsets source " + a->name() + ": first round in progress";
      f.stale = !f.reason.empty();
    }
    return f;
  }

  http::cluster_health health(const std::string& cluster) const {
    http::cluster_health h;
    for (const auto& p : pollers)
      if (p->name() == cluster) {
        h.reachable = p->stats().reachable;
        h.last_error = p->stats().last_error;
        h.down_since = p->stats().down_since_ms;
      }
    h.offsets_caught_up = true;
    for (const auto& r : readers)
      if (r->cluster() == cluster) {
        h.offsets_caught_up = h.offsets_caught_up && r->stats().caught_up;
        h.replay_position += r->stats().replay_position;
        h.replay_target += r->stats().replay_target;
      }
    for (const auto& a : admin_sources)  // kafka-admin
      if (a->cluster() == cluster) {
        h.offsets_caught_up = h.offsets_caught_up && a->stats().caught_up;
        h.admin_schedule_lag_ms = std::max(h.admin_schedule_lag_ms, a->schedule_lag_ms());
        h.admin_source = true;
      }
    for (const auto& s : offsets_sources())  // issue 13: the mode each consumer uses now
      if (s.cluster == cluster) {
        h.offsets_sources.push_back({s.consumer, s.admin ? "kafka-admin" : "offsets-topic", s.fallback, s.reason, {}, {}});
        for (const auto& r : readers)  // issue 14: the partitions this instance reads
          if (r->name() == s.consumer && !s.admin) {
            h.offsets_sources.back().cluster_group = r->stats().cluster_group;
            h.offsets_sources.back().owned_partitions = r->stats().owned_partitions;
            for (const auto& f : fleets)  // issue 14 part 2
              if (f->name() == s.consumer) {
                auto& st = h.offsets_sources.back().status_topic;
                const auto& fs = f->stats();
                st.topic = fs.status_topic;
                st.ready = fs.topic_ready;
                st.error = fs.topic_error;
                st.synced = f->synced();
                st.owner_id = f->self().id;
                st.owner_url = f->self().url;
                st.published = fs.published;
                st.delivered = fs.delivered;
                st.delivery_failures = fs.delivery_failures;
                st.records_read = fs.records_read;
                st.decode_errors = fs.decode_errors_total();
                st.remote_groups = f->remote().size();
                st.partitions = fs.topic_partitions;
              }
          }
      }
    h.freshness = freshness(cluster);
    return h;
  }

  /// Issue 13: every running offsets source, in configuration order, with the mode it is in.
  std::vector<offsets_source_mode> offsets_sources() const {
    std::vector<offsets_source_mode> out;
    for (const auto& [name, c] : cfg.consumers) {
      for (const auto& r : readers)
        if (r->name() == name) out.push_back({name, r->cluster(), false, false, r->stats().unreadable});
      for (const auto& a : admin_sources)
        if (a->name() == name)
          out.push_back({name, a->cluster(), true, !a->fallback_reason().empty(), a->fallback_reason()});
    }
    return out;
  }

  std::string metrics() const {
    return render_metrics(metrics_snapshot(), metric_sets) + http::render_server_metrics(servers);
  }
  // issue 12: /metrics streamed family by family from the kept statuses; the rest rendered at its end.
  std::shared_ptr<http::body_source> metrics_stream() {
    return scrape_metrics(&evaluator, metric_sets, [this] {
      return render_metrics_tail(metrics_snapshot(), metric_sets) + http::render_server_metrics(servers);
    });
  }
  metrics_sources metrics_snapshot() const {
    metrics_sources s;
    s.evaluator = &evaluator;
    s.store = &store;
    for (const auto& r : readers) s.readers.push_back(r.get());
    for (const auto& p : pollers) s.pollers.push_back(p.get());
    for (const auto& a : admin_sources) s.admin_sources.push_back(a.get());  // kafka-admin
    for (const auto& f : fleets) {  // issue 14: the status topics
      const auto& fs = f->stats();
      s.fleets.push_back({f->name(), f->cluster(), fs.status_topic, fs.topic_ready, f->synced(), fs.published,
                          fs.delivered, fs.delivery_failures, fs.produce_errors, fs.records_read, fs.tombstones_read,
                          fs.decode_errors_total(), f->remote().size(), fs.lag_scan_slices});
    }
    s.offsets_sources = offsets_sources();  // issue 13: mode per consumer
    s.http = &http_counts;
    if (hub) {  // ws
      s.ws_clients = hub->clients();
      s.ws_slow_closes = hub->stats().slow_closes;
      s.ws_messages_sent = hub->stats().messages_sent;
      s.ws_messages_coalesced = hub->stats().messages_coalesced;
      s.ws_messages_dropped = hub->stats().messages_dropped;
    }
    if (notifier)  // notifier
      for (const auto& r : notifier->report()) {
        notifier_series n{r.name, r.class_name, r.stats->sent, r.stats->failed, r.stats->dropped, r.stats->retries,
                          r.queued, {}, {}, r.stats->latency.total, r.stats->latency.sum};
        n.latency_bounds.assign(std::begin(notifier::latency_histogram::bounds), std::end(notifier::latency_histogram::bounds));
        n.latency_buckets.assign(std::begin(r.stats->latency.counts), std::end(r.stats->latency.counts));
        s.notifiers.push_back(std::move(n));
      }
    s.actors = sup.snapshot();
    for (const auto& [name, m] : cfg.clusters) s.freshness.emplace_back(name, freshness(name));
    return s;
  }

  bool start() {
    auto ex = ioc.get_executor();
    sup.on_change([this](const actor& a) {
      if (!a.cluster().empty()) cluster_changes.publish(cluster_event{a.cluster()});
    });
    // Dependency order: store, evaluator, hub, HTTP, cluster pollers, offsets readers.
    store.set_sink(evaluator.inbox());
    if (!configure_snapshots()) return false;  // issue 14
    store.start();
    evaluator.start();
    load_snapshots();  // issue 14: before any reader starts
    {  // ws: the hub subscribes to the evaluator; HTTP servers hand it `/v3/stream` upgrades
      ws::hub_options wo;
      wo.limits.outbox = static_cast<std::size_t>(std::max(cfg.warren.ws_outbox, 1));
      wo.server_version = "warren " WARREN_VERSION;
      hub = std::make_unique<ws::ws_hub>(ex, sup, evaluator, cluster_changes, cluster_names(cfg), wo,
                                         [this](const std::string& c) { return freshness(c); });
      hub->start();
    }
    if (!cfg.notifiers.empty()) {  // notifier: subscribes to the evaluator like the hub
      try {
        notifier = std::make_unique<notifier::coordinator>(ex, sup, evaluator, cfg);
      } catch (const std::exception& e) {
        log_error("app", "notifier: ", e.what());
        return false;
      }
      notifier->start();
    }

    http::api_context ctx;
    ctx.cfg = &cfg;
    ctx.hostname = host_name();
    ctx.ready = [this] { return ready(); };
    ctx.store = &store;
    ctx.evaluator = &evaluator;
    ctx.metrics = [this] { return metrics(); };
    ctx.metrics_stream = [this] { return metrics_stream(); };
    ctx.health = [this](const std::string& c) { return health(c); };
    ctx.count_request = [this](const std::string& route, unsigned code) { http_counts.add(route, code); };
    ctx.actors = [this] { return sup.snapshot(); };
    ctx.started = started;
    ctx.fleet = [this](const std::string& cluster) { return fleet_of(cluster); };
    if (const char* f = std::getenv("WARREN_FAULT_INJECTION"); f && std::string_view(f) == "1") {
      log_warn("app", "WARREN_FAULT_INJECTION=1: POST /v3/admin/fault/:actor/:cluster is enabled (tests only)");
      ctx.inject_fault = [this](const std::string& a, const std::string& c) { return sup.inject_fault(a, c); };
    }
    api = std::make_unique<http::api_v3>(std::move(ctx));
    for (const auto& [name, h] : cfg.httpservers) {
      auto o = http::options_for(cfg, h, host_name());  // timeouts, max-connections, TLS, tokens
      o.upgrade = [this](http::upgrade_request& up) { return hub->handle_upgrade(up); };  // ws
      auto s = std::make_unique<http::server>(ex, o, [this](const http::request& r) { return api->handle(r); });
      std::string err;
      if (!s->listen(err)) {
        log_error("app", err);
        return false;
      }
      log_info("app", "http server ", name, " listening on ", h.address, " (port ", s->port(), ")");
      servers.push_back(std::move(s));
    }
    for (auto& s : servers) s->start();
    self_owner = advertised();

    auto to_store = [this](store_cmd::batch b) -> task<void> { co_await store.send(std::move(b)); };
    for (const auto& [name, c] : cfg.clusters) {
      std::vector<std::string> keep;  // Burrow never reaps its self-reporting groups
      for (const auto& [cn, cm] : cfg.consumers)
        if (cm.cluster == name && cm.self_report) keep.push_back("burrow-" + cn);
      auto settings = kafka::settings_for(cfg, c.servers, c.client_profile);
      settings.name = name;  // librdkafka's log lines carry the cluster
      pollers.push_back(std::make_unique<cluster_poller>(ex, sup, *pools.at(name), c, std::move(settings), to_store,
                                                         std::move(keep), clock::system()));
      pollers.back()->on_state_change([this, n = name] { cluster_changes.publish(cluster_event{n}); });
      pollers.back()->start();
    }
    for (const auto& [name, c] : cfg.consumers) {
      if (c.class_name != "kafka" && c.class_name != "kafka-admin") {
        log_warn("app", "consumer ", name, ": class-name ", c.class_name,
                 " (ZooKeeper-committed offsets) is not supported by Warren; skipped");
        continue;
      }
      auto pool = pools.find(c.cluster);
      if (pool == pools.end()) {
        log_error("app", "consumer ", name, ": cluster ", c.cluster, " is not configured");
        return false;
      }
      if (c.class_name == "kafka-admin") {
        start_source(admin_sources, std::make_unique<admin_source>(ex, sup, *pool->second, c, client_settings(c),
                                                                   store_sink(), clock::system()));
        continue;
      }
      auto reader = std::make_unique<offsets_reader>(ex, sup, *pool->second, c, client_settings(c), store_sink(),
                                                     clock::system());
      if (c.fallback == "kafka-admin")  // issue 13: a refused offsets topic switches to the Admin API
        reader->on_unreadable([this, r = reader.get()](const std::string& reason) {
          asio::co_spawn(ioc, fall_back(r, reason), [n = r->name()](std::exception_ptr e) {
            if (e) log_error("app", "consumer ", n, ": switching to the Admin API failed");
          });
        });
      if (auto r = resume.find(c.cluster); r != resume.end()) reader->resume_from(r->second);  // issue 14
      if (!c.cluster_group.empty()) start_fleet(c, *reader, *pool->second);  // issue 14 parts 2-3
      start_source(readers, std::move(reader));
    }
    sources_started = true;
    release_replayed();
    return true;
  }

  // Issue 14: [warren] advertised-url, else the first listener as bound.
  fleet::owner_ref advertised() const {
    std::string url = cfg.warren.advertised_url;
    if (url.empty() && !servers.empty()) {
      std::string host;
      unsigned short port = 0;
      http::parse_listen_address(cfg.httpservers.begin()->second.address, host, port);
      if (host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]") host = host_name();
      if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
      url = "http://" + host + ":" + std::to_string(servers.front()->port());
    }
    while (!url.empty() && url.back() == '/') url.pop_back();
    return {url.substr(url.find("://") == std::string::npos ? 0 : url.find("://") + 3), url};
  }

  const fleet::fleet_status* fleet_of(const std::string& cluster) const {
    for (const auto& f : fleets)
      if (f->cluster() == cluster) return f.get();
    return nullptr;
  }

  // Issue 14 parts 2-3: the consumer's status topic: published by the owner of each group, read by
  // all; the reader hands revoked partitions' state over through it, the notifier adopts from it.
  void start_fleet(const consumer_module& c, offsets_reader& reader, blocking_pool& pool) {
    if (fleet_of(c.cluster)) {
      log_warn("app", "consumer ", c.name, ": cluster ", c.cluster,
               " already has a status topic from another consumer; this one publishes nothing");
      return;
    }
    auto f = std::make_unique<fleet::fleet_status>(ioc.get_executor(), sup, pool, c, client_settings(c), evaluator,
                                                   self_owner, clock::system());
    auto* fp = f.get();
    offsets_reader::rebalance_hooks hooks;
    hooks.gain = [fp](std::vector<std::int32_t> ps) { return fp->on_gain(std::move(ps)); };
    hooks.revoke = [fp](std::vector<std::int32_t> ps, bool lost) { return fp->before_revoke(std::move(ps), lost); };
    reader.on_rebalance(std::move(hooks));
    if (notifier) {
      auto* n = notifier.get();
      fp->set_notifier_source([n, cluster = c.cluster](const std::string& g) { return n->state_of(cluster, g); });
      notifier::fleet_link link;
      link.ready = [this](const std::string& cluster) {
        const auto* fl = fleet_of(cluster);
        return !fl || fl->synced();
      };
      link.adopt = [this](const std::string& cluster, const std::string& g) -> std::optional<fleet::notifier_record> {
        const auto* fl = fleet_of(cluster);
        const auto* e = fl ? fl->remote().find(g) : nullptr;
        if (!e) return std::nullopt;
        return e->notifier;
      };
      link.changed = [this](const std::string& cluster, const std::string& g) {
        for (auto& fl : fleets)
          if (fl->cluster() == cluster) fl->notifier_changed(g);
      };
      n->link_fleet(std::move(link));
    }
    if (hub) {  // issue 14: the stream shows the groups other instances evaluate too
      fp->set_remote_listener([this, cluster = c.cluster](const std::string& g, status_code previous) {
        if (hub) hub->on_remote(cluster, g, previous);
      });
    }
    f->start();
    fleets.push_back(std::move(f));
    if (hub) hub->set_fleet(&stream_fleet);
  }

  // Issue 14: the fleets as the ws hub sees them (ws_hub.hpp fleet_view).
  struct stream_fleet_view final : ws::fleet_view {
    explicit stream_fleet_view(const impl& a) : app(a) {}
    const impl& app;
    std::optional<std::string> remote_object(std::string_view cluster, std::string_view group,
                                             ws::detail_level detail) const override {
      const auto* f = app.fleet_of(std::string(cluster));
      const auto* e = f ? f->remote().find(group) : nullptr;
      if (!e) return std::nullopt;
      // A v2 record holds the `/status` object (partitions above OK): the full detail of a group
      // evaluated elsewhere carries those partitions (a v1 record: all of them).
      const std::string& object = e->lag_json.empty() ? e->status_json : e->lag_json;
      if (detail == ws::detail_level::full) return fleet::with_owner(object, e->owner);
      auto summary = fleet::summary_only(object);
      return fleet::with_owner(summary ? *summary : object, e->owner);
    }
    bool has_remote(std::string_view cluster, std::string_view group) const override {
      const auto* f = app.fleet_of(std::string(cluster));
      return f && f->remote().find(group);
    }
    void for_each_remote(const std::function<void(std::string_view, std::string_view)>& fn) const override {
      for (const auto& f : app.fleets)
        f->remote().for_each([&](const std::string& g, const fleet::remote_entry&) { fn(f->cluster(), g); });
    }
    std::string own(std::string_view cluster, std::string status_object) const override {
      const auto* f = app.fleet_of(std::string(cluster));
      return f ? fleet::with_owner(status_object, f->self()) : status_object;
    }
  };
  stream_fleet_view stream_fleet{*this};

  kafka::client_settings client_settings(const consumer_module& c) const {
    auto settings = kafka::settings_for(cfg, c.servers, c.client_profile);
    settings.name = c.cluster;  // librdkafka's log lines carry the cluster
    return settings;
  }
  std::function<task<void>(store_cmd::batch)> store_sink() {
    return [this](store_cmd::batch b) -> task<void> { co_await store.send(std::move(b)); };
  }
  // Both offset sources (the offsets topic, or the Admin API: issue 13) start the same way.
  // Issue 12: a cluster's groups are evaluated when its first replay is over, not on every round
  // of it (group_evaluator::hold): a source started at startup holds its cluster until every
  // source of the cluster has caught up once.
  template <class source>
  void start_source(std::vector<std::unique_ptr<source>>& sources, std::unique_ptr<source> s) {
    if (!sources_started && replaying.insert(s->cluster()).second) evaluator.hold(s->cluster());
    s->on_state_change([this, n = s->cluster()] {
      cluster_changes.publish(cluster_event{n});
      release_replayed();
    });
    s->start();
    sources.push_back(std::move(s));
  }
  void release_replayed() {
    for (auto it = replaying.begin(); it != replaying.end();) {
      bool done = true;
      for (const auto& r : readers)
        if (r->cluster() == *it) done = done && r->stats().ready;
      for (const auto& a : admin_sources)
        if (a->cluster() == *it) done = done && a->stats().caught_up;
      if (!done) {
        ++it;
        continue;
      }
      evaluator.release(*it, store.stats().batches_received);  // what they handed, once stored
      it = replaying.erase(it);
    }
  }
  std::set<std::string> replaying;  // clusters the evaluator holds (see start_source)
  bool sources_started = false;

  // Issue 13, fallback = "kafka-admin": the reader found its offsets topic unreadable and parked.
  // It is stopped and replaced by an Admin API source for the same consumer (same cluster,
  // client settings, group filters), which logs the one line saying so.
  task<void> fall_back(const offsets_reader* which, std::string reason) {
    auto it = std::find_if(readers.begin(), readers.end(), [&](const auto& r) { return r.get() == which; });
    if (it == readers.end() || stopping) co_return;
    std::unique_ptr<offsets_reader> old = std::move(*it);
    readers.erase(it);
    co_await old->stop();
    if (stopping) co_return;
    consumer_module m = cfg.consumers.at(old->name());
    old.reset();
    // The kafka-admin defaults (config load sets them for fallback = "kafka-admin"; a config made
    // in code may not have).
    if (m.admin_offset_refresh.count() == 0) m.admin_offset_refresh = cfg.clusters.at(m.cluster).offset_refresh;
    if (m.admin_group_refresh.count() == 0) m.admin_group_refresh = m.admin_offset_refresh;
    const auto& module = fallback_modules.emplace_back(std::move(m));
    auto source = std::make_unique<admin_source>(ioc.get_executor(), sup, *pools.at(module.cluster), module,
                                                 client_settings(module), store_sink(), clock::system());
    source->fallback_from(std::move(reason));
    start_source(admin_sources, std::move(source));
    cluster_changes.publish(cluster_event{module.cluster});
  }

  // Reverse order: hub, readers, pollers, HTTP, evaluator, store. librdkafka handles close on the pools.
  task<void> stop() {
    if (stopping) co_return;
    stopping = true;
    log_info("app", "shutting down");
    if (hub) co_await hub->stop();  // ws: close frames go out first
    for (auto it = admin_sources.rbegin(); it != admin_sources.rend(); ++it) co_await (*it)->stop();  // kafka-admin
    for (auto& f : fleets) co_await f->flush();  // issue 14: the latest states out before leaving the group
    for (auto it = readers.rbegin(); it != readers.rend(); ++it) co_await (*it)->stop();
    for (auto it = fleets.rbegin(); it != fleets.rend(); ++it) co_await (*it)->stop();  // issue 14
    for (auto it = pollers.rbegin(); it != pollers.rend(); ++it) co_await (*it)->stop();
    for (auto& s : servers) s->stop();
    if (notifier) co_await notifier->stop();  // notifier: before the evaluator it subscribes to
    co_await evaluator.stop();
    co_await store.stop();
    signals.cancel();
  }
};

app::app(const config& cfg) : impl_(std::make_unique<impl>(cfg)) {}
app::~app() = default;

int app::run() {
  auto& d = *impl_;
  int code = 0;
  if (!d.start()) {
    code = 1;
    asio::co_spawn(d.ioc, d.stop(), asio::detached);
  } else {
    d.signals.async_wait([&d](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      log_info("app", "signal ", sig, " received");
      asio::co_spawn(d.ioc, d.stop(), [](std::exception_ptr e) {
        if (e) log_error("app", "shutdown failed");
      });
    });
    log_info("app", "warren ", WARREN_VERSION, " started");
  }
  d.ioc.run();
  for (auto& [name, p] : d.pools) p->join();
  log_info("app", "stopped");
  return code;
}

}  // namespace warren
