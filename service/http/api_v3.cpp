#include "service/http/api_v3.hpp"

#include <boost/json.hpp>
#include <algorithm>
#include <concepts>
#include <map>

#include "service/config/config.hpp"
#include "service/core/clock.hpp"
#include "service/core/log.hpp"
#include "service/evaluator/group_evaluator.hpp"
#include "service/fleet/fleet_status.hpp"
#include "service/fleet/forward.hpp"
#include "service/http/auth.hpp"
#include "service/http/burrow_json.hpp"
#include "service/http/dashboard.hpp"
#include "service/http/go_json.hpp"
#include "service/http/json_error.hpp"
#include "service/http/router.hpp"
#include "service/storage/offset_store.hpp"

namespace warren::http {
namespace json = boost::json;

namespace {
json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}
template <class Map>
json::array names(const Map& m) {
  json::array a;
  for (const auto& [k, v] : m) a.emplace_back(k);
  return a;
}

// Burrow's configMain reads zookeeper.* through viper at request time. Its zookeeper coordinator
// (which sets the defaults timeout 6 and root-path "/burrow") is configured only when a notifier
// is (reference §a), so without notifiers a key the file does not set renders as Go's zero value.
// `servers` comes from viper.GetStringSlice: a nil slice, rendered null, whenever it is empty.
json::value zookeeper_json(const config& cfg) {
  const auto& z = cfg.zookeeper;
  const zookeeper_options defaults;
  const bool coordinator_configured = !cfg.notifiers.empty();
  json::object o;
  if (z.servers.empty()) o["servers"] = nullptr;
  else o["servers"] = strings(z.servers);
  // The loader keeps no "was set" flag: a value equal to the default is taken as not set.
  const bool timeout_set = coordinator_configured || z.timeout != defaults.timeout;
  const bool root_set = coordinator_configured || z.root_path != defaults.root_path;
  o["timeout"] = timeout_set ? z.timeout.count() : 0;
  o["root-path"] = root_set ? z.root_path : std::string();
  return o;
}

// A JSON array of strings as Boost.JSON prints one (the list bodies keep their bytes, issue 12).
template <class Range>
void append_names(std::string& out, const Range& names) {
  out += '[';
  bool first = true;
  for (const auto& n : names) {
    if (!first) out += ',';
    first = false;
    append_boost_json_string(out, n);
  }
  out += ']';
}

json::object freshness_json(const cluster_freshness& f) {
  return {{"stale", f.stale}, {"as_of", f.as_of_ms}, {"reason", f.reason}};
}

// Whole percent of the replay done: 100 only once caught up.
std::int64_t replay_percent(const cluster_health& h) {
  if (h.offsets_caught_up) return 100;
  if (h.replay_target <= 0) return 0;
  const auto pos = std::clamp<std::int64_t>(h.replay_position, 0, h.replay_target);
  return std::min<std::int64_t>(99, pos * 100 / h.replay_target);
}
}  // namespace

std::string_view to_string(health_verdict v) {
  switch (v) {
    case health_verdict::ok: return "ok";
    case health_verdict::degraded: return "degraded";
    case health_verdict::down: return "down";
  }
  return "down";
}

health_report evaluate_health(const std::vector<std::pair<std::string, cluster_health>>& clusters,
                              const std::vector<actor_health>& actors) {
  health_report r;
  auto raise = [&](health_verdict v, std::string why) {
    if (static_cast<int>(v) > static_cast<int>(r.verdict)) r.verdict = v;
    r.reasons.push_back(std::move(why));
  };
  for (const auto& [name, h] : clusters) {
    if (!h.reachable) {
      raise(health_verdict::down, "cluster " + name + " unreachable" + (h.last_error.empty() ? "" : ": " + h.last_error));
    } else if (!h.offsets_caught_up) {
      raise(health_verdict::degraded, "cluster " + name + " offsets replay in progress (" +
                                          std::to_string(replay_percent(h)) + "%)");
    } else if (h.freshness.stale) {
      raise(health_verdict::degraded,
            "cluster " + name + " stale" + (h.freshness.reason.empty() ? "" : ": " + h.freshness.reason));
    }
  }
  for (const auto& a : actors) {
    if (a.up) continue;
    std::string who = a.actor + (a.cluster.empty() ? "" : "/" + a.cluster);
    raise(health_verdict::down, "actor " + who + " down" + (a.last_error.empty() ? "" : ": " + a.last_error));
  }
  return r;
}

struct api_v3::impl {
  /// One request being answered: the HTTP values, the decoded path parameters, and `url`, the
  /// decoded path that Burrow echoes as `request.url` (Go's r.URL.Path).
  struct call {
    const request& http;
    const std::vector<std::string>& params;
    std::string url;
  };
  using handler = response (*)(impl&, const call&);
  struct route {
    std::string_view method;
    std::string_view pattern;
    handler handle;
    bool cors = true;        ///< Burrow sets CORS on JSON and admin answers, not on /metrics
    bool test_only = false;  ///< registered only when ctx.inject_fault is set
  };

  // THE route table: every Burrow v3 route plus Warren's, each with its handler.
  static const std::vector<route>& routes() {
    static const std::vector<route> table{
        // The built-in dashboard's files (http/dashboard.hpp): open, they carry no data.
        {"GET", "/", [](impl&, const call& c) { return dashboard_response("index.html", c.http); }, false},
        {"GET", "/dashboard/:file", [](impl&, const call& c) { return dashboard_response(c.params[0], c.http); }, false},
        {"GET", "/burrow/admin", [](impl& s, const call& c) { return s.admin(c); }},
        {"GET", "/burrow/admin/ready", [](impl& s, const call& c) { return s.admin_ready(c); }},
        {"GET", "/metrics", [](impl& s, const call& c) { return s.metrics(c); }, false},
        {"GET", "/v3/health", [](impl& s, const call& c) { return s.health(c); }},
        {"GET", "/v3/kafka", [](impl& s, const call& c) { return s.clusters(c); }},
        {"GET", "/v3/kafka/:cluster", [](impl& s, const call& c) { return s.cluster_detail(c.params[0], c); }},
        {"GET", "/v3/kafka/:cluster/topic", [](impl& s, const call& c) { return s.topics(c.params[0], c); }},
        {"GET", "/v3/kafka/:cluster/topic/:topic",
         [](impl& s, const call& c) { return s.topic(c.params[0], c.params[1], c); }},
        {"GET", "/v3/kafka/:cluster/topic/:topic/consumers",
         [](impl& s, const call& c) { return s.topic_consumers(c.params[0], c.params[1], c); }},
        {"GET", "/v3/kafka/:cluster/consumer", [](impl& s, const call& c) { return s.consumers(c.params[0], c); }},
        {"GET", "/v3/kafka/:cluster/consumer/:consumer",
         [](impl& s, const call& c) { return s.consumer(c.params[0], c.params[1], c); }},
        {"GET", "/v3/kafka/:cluster/consumer/:consumer/status",
         [](impl& s, const call& c) { return s.consumer_status(c.params[0], c.params[1], false, c); }},
        {"GET", "/v3/kafka/:cluster/consumer/:consumer/lag",
         [](impl& s, const call& c) { return s.consumer_status(c.params[0], c.params[1], true, c); }},
        {"DELETE", "/v3/kafka/:cluster/consumer/:consumer",
         [](impl& s, const call& c) { return s.consumer_delete(c.params[0], c.params[1], {}, c); }},
        {"DELETE", "/v3/kafka/:cluster/consumer/:consumer/topic/:topic",
         [](impl& s, const call& c) { return s.consumer_delete(c.params[0], c.params[1], c.params[2], c); }},
        {"GET", "/v3/config", [](impl& s, const call& c) { return s.config_main(c); }},
        {"GET", "/v3/config/:coordinator", [](impl& s, const call& c) { return s.config_list(c.params[0], c); }},
        {"GET", "/v3/config/storage/:name", [](impl& s, const call& c) { return s.config_storage(c.params[0], c); }},
        {"GET", "/v3/config/evaluator/:name",
         [](impl& s, const call& c) { return s.config_evaluator(c.params[0], c); }},
        {"GET", "/v3/config/cluster/:name", [](impl& s, const call& c) { return s.cluster_detail(c.params[0], c); }},
        {"GET", "/v3/config/consumer/:name", [](impl& s, const call& c) { return s.config_consumer(c.params[0], c); }},
        {"GET", "/v3/config/notifier/:name", [](impl& s, const call& c) { return s.config_notifier(c.params[0], c); }},
        {"GET", "/v3/admin/loglevel", [](impl& s, const call& c) { return s.loglevel_get(c); }},
        {"POST", "/v3/admin/loglevel", [](impl& s, const call& c) { return s.loglevel_set(c); }},
        {"POST", "/v3/admin/fault/:actor/:cluster",
         [](impl& s, const call& c) { return s.inject_fault(c.params[0], c.params[1], c); }, true, true},
    };
    return table;
  }

  explicit impl(api_context c)
      : ctx(std::move(c)),
        table(route_defs(ctx)),
        tokens{ctx.cfg->warren.admin_token, ctx.cfg->warren.read_token, ctx.cfg->warren.metrics_token} {
    for (const auto& r : routes()) labels.push_back(std::string(r.method) + " " + std::string(r.pattern));
    append_boost_json_string(host_json, ctx.hostname);
    std::vector<std::string_view> clusters;
    for (const auto& [name, module] : ctx.cfg->clusters) clusters.push_back(name);
    append_names(clusters_json, clusters);
  }
  api_context ctx;
  router table;  // route ids are indexes into routes()
  api_tokens tokens;

  // Issue 12: what requests would otherwise allocate or rebuild each time. The handlers are const
  // queries on the io thread; these are their caches and reused scratch (io thread only).
  std::vector<std::string> labels;  ///< per route id, the route label counted for metrics
  std::string host_json;            ///< ctx.hostname as a JSON string
  std::string clusters_json;        ///< the `/v3/kafka` list: the configuration does not change
  /// Per cluster, the `/consumer` and `/topic` lists as JSON arrays, rebuilt when the store's state
  /// says they changed (cluster_state::same_answerable_groups, generation()).
  struct list_cache {
    const cluster_state* state = nullptr;
    bool consumers_valid = false;
    cluster_state::group_list_stamp consumers_stamp;
    std::string consumers;
    bool topics_valid = false;
    std::uint64_t topics_generation = 0;
    std::string topics;
  };
  mutable std::map<std::string, list_cache, std::less<>> lists;
  mutable group_view view;                        ///< the detail endpoint's, refilled per request
  mutable std::vector<std::string_view> listed;   ///< names being listed
  mutable std::vector<std::string> topic_groups;   ///< a topic's consumers
  /// The status objects last answered by `/lag` and `/status`, per (cluster, group, which): valid
  /// while the group's generation (group_evaluator) and evaluation time are unchanged (the object is
  /// a function of the kept status, and the generation covers every field but the evaluation time).
  /// At most status_cache_bytes of text, cleared whole when a new one would pass it. A removed
  /// group's entry is never served (only kept statuses are looked up, and a generation is never
  /// reused) and goes with the next clear.
  struct status_entry {
    std::uint64_t generation = 0;
    std::int64_t evaluated_at = 0;
    std::string object;
  };
  static constexpr std::size_t status_cache_bytes = 32u << 20;
  mutable std::map<std::string, status_entry, std::less<>> statuses;
  mutable std::size_t status_bytes = 0;
  mutable std::string status_key;
  mutable group_status unpacked;  ///< a kept status being rendered (capacity reused)

  static std::vector<route_def> route_defs(const api_context& ctx) {
    std::vector<route_def> defs;
    const auto& all = routes();
    for (std::size_t i = 0; i < all.size(); ++i)
      if (!all[i].test_only || ctx.inject_fault)
        defs.push_back({static_cast<int>(i), all[i].method, all[i].pattern});
    return defs;
  }

  json::object envelope(std::string_view message, const call& c) const {
    json::object o;
    o["error"] = false;
    o["message"] = message;
    o["request"] = {{"url", c.url}, {"host", ctx.hostname}};
    return o;
  }
  response ok(json::object body) const { return response{200, "application/json", json::serialize(body), {}}; }
  response ok(std::string body) const { return response{200, "application/json", std::move(body), {}}; }

  /// The bytes of `envelope(message, c)` with `key: json` added, as Boost.JSON prints that object,
  /// written into one string (issue 12). `json` is already JSON.
  std::string envelope_with(std::string_view message, const call& c, std::string_view key,
                            std::string_view value_json) const {
    std::string out;
    out.reserve(64 + message.size() + c.url.size() + host_json.size() + key.size() + value_json.size());
    out += R"({"error":false,"message":)";
    append_boost_json_string(out, message);
    out += R"(,"request":{"url":)";
    append_boost_json_string(out, c.url);
    out += R"(,"host":)";
    out += host_json;
    out += "},";
    append_boost_json_string(out, key);
    out += ':';
    out += value_json;
    out += '}';
    return out;
  }

  list_cache& lists_of(const std::string& cluster, const cluster_state* st) const {
    auto it = lists.find(cluster);
    if (it == lists.end()) it = lists.emplace(cluster, list_cache{}).first;
    if (it->second.state != st) it->second = list_cache{st};
    return it->second;
  }
  response error(unsigned status, std::string_view message, const call& c) const {
    return json_error(status, message, c.url, ctx.hostname);
  }

  // Burrow writes the admin bodies without a Content-Type; Go's net/http sniffs them as this.
  static constexpr const char* admin_text = "text/plain; charset=utf-8";

  response admin(const call&) const { return response{200, admin_text, "GOOD", {}}; }
  response admin_ready(const call&) const {
    if (!ctx.ready || ctx.ready()) return response{200, admin_text, "READY", {}};
    return response{503, admin_text, "STARTING", {}};
  }
  response metrics(const call&) const {
    static constexpr const char* type = "text/plain; version=0.0.4; charset=utf-8";
    if (ctx.metrics_stream) return response{200, type, {}, {}, ctx.metrics_stream()};
    return response{200, type, ctx.metrics ? ctx.metrics() : "", {}};
  }
  response clusters(const call& c) const {
    return ok(envelope_with("cluster list returned", c, "clusters", clusters_json));
  }
  response loglevel_get(const call& c) const {
    auto o = envelope("log level returned", c);
    o["level"] = to_string(current_log_level());
    return ok(std::move(o));
  }

  cluster_health health_of(const std::string& cluster) const {
    return ctx.health ? ctx.health(cluster) : cluster_health{};
  }
  /// The freshness every status answer about `cluster` carries; fresh for unconfigured clusters.
  cluster_freshness freshness_of(const std::string& cluster) const {
    if (!ctx.health || !ctx.cfg->clusters.contains(cluster)) return {};
    return ctx.health(cluster).freshness;
  }

  response health(const call& c) const {
    std::vector<std::pair<std::string, cluster_health>> clusters;
    for (const auto& [name, module] : ctx.cfg->clusters) clusters.emplace_back(name, health_of(name));
    const auto actors = ctx.actors ? ctx.actors() : std::vector<actor_health>{};
    const auto report = evaluate_health(clusters, actors);
    auto o = envelope("health returned", c);
    o["status"] = to_string(report.verdict);
    o["reasons"] = strings(report.reasons);
    o["version"] = WARREN_VERSION;
    o["uptime_s"] = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - ctx.started)
                        .count();
    json::object cl;
    for (const auto& [name, h] : clusters) {
      cl[name] = {{"reachable", h.reachable},
                  {"last_error", h.last_error},
                  {"down_since", h.down_since},
                  {"offsets_caught_up", h.offsets_caught_up},
                  {"replay_position", h.replay_position},
                  {"replay_target", h.replay_target},
                  {"replay_percent", replay_percent(h)},
                  {"freshness", freshness_json(h.freshness)}};
      if (h.admin_source) cl[name].as_object()["admin_schedule_lag_ms"] = h.admin_schedule_lag_ms;  // issue 13
      if (!h.offsets_sources.empty()) {  // issue 13: the mode each consumer uses now
        json::array sources;
        for (const auto& s : h.offsets_sources) {
          json::object source{{"consumer", s.consumer}, {"mode", s.mode}, {"fallback", s.fallback}, {"reason", s.reason}};
          if (s.mode == "offsets-topic") {  // issue 14: who reads which offsets-topic partitions
            source["cluster_group"] = s.cluster_group;
            json::array owned;
            for (auto p : s.owned_partitions) owned.push_back(p);
            source["owned_partitions"] = std::move(owned);
            if (const auto& st = s.status_topic; !st.topic.empty())  // issue 14 part 2
              source["status_topic"] = {{"topic", st.topic},
                                        {"partitions", st.partitions},
                                        {"ready", st.ready},
                                        {"error", st.error},
                                        {"synced", st.synced},
                                        {"owner", st.owner_id},
                                        {"owner_url", st.owner_url},
                                        {"published", st.published},
                                        {"delivered", st.delivered},
                                        {"delivery_failures", st.delivery_failures},
                                        {"records_read", st.records_read},
                                        {"decode_errors", st.decode_errors},
                                        {"remote_groups", st.remote_groups}};
          }
          sources.push_back(std::move(source));
        }
        cl[name].as_object()["offsets_sources"] = std::move(sources);
      }
    }
    o["clusters"] = std::move(cl);
    json::array ac;
    for (const auto& a : actors)
      ac.push_back(json::object{{"actor", a.actor},
                                {"cluster", a.cluster},
                                {"up", a.up},
                                {"restarts", a.restarts},
                                {"last_error", a.last_error},
                                {"last_failure", a.last_failure_ms}});
    o["actors"] = std::move(ac);
    const unsigned status = report.verdict == health_verdict::ok ? 200u : 503u;
    return response{status, "application/json", json::serialize(o), {}};
  }

  json::value client_profile_json(const std::string& name) const {
    const auto& cfg = *ctx.cfg;
    auto it = cfg.client_profiles.find(name);
    if (it == cfg.client_profiles.end()) return nullptr;
    const auto& p = it->second;
    json::object o{{"name", p.name}, {"client-id", p.client_id}, {"kafka-version", p.kafka_version}};
    if (auto t = cfg.tls.find(p.tls); !p.tls.empty() && t != cfg.tls.end()) {
      o["tls"] = {{"name", t->second.name},         {"noverify", t->second.noverify},
                  {"certfile", t->second.certfile}, {"keyfile", t->second.keyfile},
                  {"cafile", t->second.cafile}};
    } else {
      o["tls"] = nullptr;
    }
    if (auto s = cfg.sasl.find(p.sasl); !p.sasl.empty() && s != cfg.sasl.end()) {
      // The password is a secret: never rendered.
      o["sasl"] = {{"name", s->second.name},
                   {"handshake-first", s->second.handshake_first},
                   {"username", s->second.username}};
    } else {
      o["sasl"] = nullptr;
    }
    return o;
  }

  response cluster_detail(const std::string& name, const call& req) const {
    auto it = ctx.cfg->clusters.find(name);
    if (it == ctx.cfg->clusters.end()) return error(404, "cluster module not found", req);
    const auto& c = it->second;
    auto o = envelope("cluster module detail returned", req);
    o["module"] = {{"class-name", c.class_name},
                   {"servers", strings(c.servers)},
                   {"client-profile", client_profile_json(c.client_profile)},
                   {"topic-refresh", c.topic_refresh.count()},
                   {"offset-refresh", c.offset_refresh.count()}};
    if (ctx.health) {
      // Warren's addition (Burrow shows only configuration here): is the cluster reachable now.
      auto h = ctx.health(name);
      o["warren"] = {{"reachable", h.reachable},
                     {"last-error", h.last_error},
                     {"down-since", h.down_since},
                     {"offsets-caught-up", h.offsets_caught_up}};
    }
    return ok(std::move(o));
  }

  response config_main(const call& req) const {
    const auto& cfg = *ctx.cfg;
    auto o = envelope("main config returned", req);
    o["general"] = {{"pidfile", cfg.general.pidfile},
                    {"stdout-logfile", cfg.general.stdout_logfile},
                    {"access-control-allow-origin", cfg.general.access_control_allow_origin}};
    o["logging"] = {{"filename", cfg.logging.filename},
                    {"max-size", cfg.logging.maxsize},
                    {"max-backups", cfg.logging.maxbackups},
                    {"max-age", cfg.logging.maxage},
                    {"use-local-time", cfg.logging.use_localtime},
                    {"use-compression", cfg.logging.use_compression},
                    {"level", cfg.logging.level}};
    o["zookeeper"] = zookeeper_json(cfg);
    json::object servers;
    for (const auto& [name, h] : cfg.httpservers)
      servers[name] = {{"address", h.address}, {"tls", h.tls}, {"timeout", h.timeout.count()}};
    o["httpserver"] = std::move(servers);
    return ok(std::move(o));
  }

  response config_list(const std::string& coordinator, const call& req) const {
    const auto& cfg = *ctx.cfg;
    json::array modules;
    if (coordinator == "storage") modules = names(cfg.storage);
    else if (coordinator == "evaluator") modules = names(cfg.evaluators);
    else if (coordinator == "cluster") modules = names(cfg.clusters);
    else if (coordinator == "consumer") modules = names(cfg.consumers);
    else if (coordinator == "notifier") modules = names(cfg.notifiers);
    else return not_found(req);
    auto o = envelope("module list returned", req);
    o["coordinator"] = coordinator;
    o["modules"] = std::move(modules);
    return ok(std::move(o));
  }

  response config_storage(const std::string& name, const call& req) const {
    auto it = ctx.cfg->storage.find(name);
    if (it == ctx.cfg->storage.end()) return error(404, "storage module not found", req);
    const auto& s = it->second;
    auto o = envelope("storage module detail returned", req);
    o["module"] = {{"class-name", s.class_name},
                   {"intervals", s.intervals},
                   {"min-distance", s.min_distance.count()},
                   {"group-allowlist", s.group_allowlist},
                   {"expire-group", s.expire_group.count()}};
    return ok(std::move(o));
  }

  response config_evaluator(const std::string& name, const call& req) const {
    auto it = ctx.cfg->evaluators.find(name);
    if (it == ctx.cfg->evaluators.end()) return error(404, "evaluator module not found", req);
    auto o = envelope("evaluator module detail returned", req);
    o["module"] = {{"class-name", it->second.class_name}, {"expire-cache", it->second.expire_cache.count()}};
    return ok(std::move(o));
  }

  response config_consumer(const std::string& name, const call& req) const {
    auto it = ctx.cfg->consumers.find(name);
    if (it == ctx.cfg->consumers.end()) return error(404, "consumer module not found", req);
    const auto& c = it->second;
    auto o = envelope("consumer module detail returned", req);
    bool zk = c.class_name == "kafka_zk";
    o["module"] = {{"class-name", c.class_name},
                   {"cluster", c.cluster},
                   {"servers", strings(c.servers)},
                   {"group-allowlist", c.group_allowlist},
                   {"zookeeper-path", c.zookeeper_path},
                   {"zookeeper-timeout", zk ? c.zookeeper_timeout.count() : 0},
                   {"client-profile", client_profile_json(c.client_profile)},
                   {"offsets-topic", zk ? std::string() : c.offsets_topic},
                   {"start-latest", c.start_latest}};
    return ok(std::move(o));
  }

  // A url-open/url-close (a template) as /v3/config/notifier shows it: credentials in the userinfo
  // (`https://user:pass@host`, `https://TOKEN@host`) become REDACTED@, values of query parameters
  // whose name suggests a secret (token, key, secret, password, signature, auth...) become REDACTED,
  // and a Slack incoming-webhook URL (the path is the credential) keeps only /services/REDACTED.
  // Text-based on purpose: a template is not a valid URL until rendered.
  static bool secret_name(std::string_view name) {
    std::string n;
    for (char c : name) n += c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    for (const char* word : {"token", "key", "secret", "pass", "pwd", "auth", "sig", "session", "credential"})
      if (n.find(word) != std::string::npos) return true;
    return false;
  }

  static std::string redact_url(const std::string& url) {
    std::string out = url;
    auto scheme = out.find("://");
    std::size_t authority = scheme == std::string::npos ? 0 : scheme + 3;
    auto authority_end = out.find_first_of("/?#", authority);
    if (authority_end == std::string::npos) authority_end = out.size();
    if (auto at = out.rfind('@', authority_end - 1); scheme != std::string::npos && at != std::string::npos &&
                                                    at >= authority && at < authority_end) {
      out.replace(authority, at - authority, "REDACTED");
      authority_end = authority + 8 + (authority_end - at);
    }
    std::string host = out.substr(authority, authority_end - authority);
    if (auto at = host.rfind('@'); at != std::string::npos) host.erase(0, at + 1);
    if (host == "hooks.slack.com" && out.compare(authority_end, 10, "/services/") == 0)
      return out.substr(0, authority_end) + "/services/REDACTED";
    auto q = out.find('?', authority_end);
    if (q == std::string::npos) return out;
    auto fragment = out.find('#', q);
    std::string query = out.substr(q + 1, (fragment == std::string::npos ? out.size() : fragment) - q - 1);
    std::string redacted;
    std::size_t pos = 0;
    for (;;) {
      auto amp = query.find('&', pos);
      std::string item = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
      auto eq = item.find('=');
      if (eq != std::string::npos && secret_name(item.substr(0, eq))) item = item.substr(0, eq + 1) + "REDACTED";
      redacted += item;
      if (amp == std::string::npos) break;
      redacted += '&';
      pos = amp + 1;
    }
    return out.substr(0, q + 1) + redacted + (fragment == std::string::npos ? "" : out.substr(fragment));
  }

  response config_notifier(const std::string& name, const call& req) const {
    auto it = ctx.cfg->notifiers.find(name);
    if (it == ctx.cfg->notifiers.end()) return error(404, "notifier module not found", req);
    const auto& n = it->second;
    // Burrow renders `extra` verbatim and leaks API keys; Warren keeps the keys and hides values.
    // Passwords and `headers` (Authorization, X-Api-Key...) are never shown; URLs lose their
    // credentials (redact_url).
    json::object extra;
    for (const auto& [k, v] : n.extras) extra[k] = "REDACTED";
    json::object m{{"class-name", n.class_name}, {"group-allowlist", n.group_allowlist},
                   {"interval", n.interval.count()}, {"threshold", n.threshold}};
    if (n.class_name == "http" || n.class_name == "alertmanager") {
      m["timeout"] = n.timeout.count();
      m["keepalive"] = n.keepalive.count();
      m["url-open"] = redact_url(n.url_open);
      m["url-close"] = redact_url(n.url_close);
      if (n.class_name == "http") {
        m["method-open"] = n.method_open;
        m["method-close"] = n.method_close;
      }
      m["template-open"] = n.template_open;
      m["template-close"] = n.template_close;
      m["extra"] = std::move(extra);
      m["send-close"] = n.send_close;
      m["extra-ca"] = n.extra_ca;
      m["noverify"] = n.noverify ? "true" : "";
      if (n.class_name == "alertmanager") {
        // Warren's class: what decides when Alertmanager hears about a group (re-posted every
        // send-interval while open) and who it is for.
        m["send-interval"] = n.send_interval.count();
        m["send-once"] = n.send_once;
        m["group-denylist"] = n.group_denylist;
        m["cluster"] = n.cluster;
        m["username"] = n.username;
      }
    } else if (n.class_name == "email") {
      m["template-open"] = n.template_open;
      m["template-close"] = n.template_close;
      m["extra"] = std::move(extra);
      m["send-close"] = n.send_close;
      m["server"] = n.server;
      m["port"] = n.port;
      m["auth-type"] = n.auth_type;
      m["username"] = n.username;
      m["from"] = n.from;
      m["to"] = n.to;
      m["extra-ca"] = n.extra_ca;
      m["noverify"] = n.noverify ? "true" : "";
    }
    auto o = envelope("notifier module detail returned", req);
    o["module"] = std::move(m);
    return ok(std::move(o));
  }

  const cluster_state* state(const std::string& cluster) const {
    return ctx.store ? ctx.store->cluster(cluster) : nullptr;
  }

  // The lists hold the groups the detail endpoint answers: the store also has groups known only
  // from group metadata (owners, no commit yet) and groups past expire-group awaiting removal, which
  // view_group (Burrow's lazy-expiry check) reports as not found. List and detail agree
  // (cluster_state::answerable and answerable_groups apply view_group's test).

  response topics(const std::string& cluster, const call& c) const {
    const auto* st = state(cluster);
    if (!st) return error(404, "cluster not found", c);
    auto& cache = lists_of(cluster, st);
    if (!cache.topics_valid || cache.topics_generation != st->generation()) {
      cache.topics.clear();
      append_names(cache.topics, st->topics());
      cache.topics_generation = st->generation();
      cache.topics_valid = true;
    }
    return ok(envelope_with("topic list returned", c, "topics", cache.topics));
  }

  response topic(const std::string& cluster, const std::string& name, const call& c) const {
    const auto* st = state(cluster);
    auto offsets = st ? st->topic_offsets(name) : std::nullopt;
    if (!offsets) return error(404, "cluster or topic not found", c);
    std::string a;
    a.reserve(2 + offsets->size() * 12);
    a += '[';
    for (std::size_t i = 0; i < offsets->size(); ++i) {
      if (i) a += ',';
      append_json_int(a, (*offsets)[i]);
    }
    a += ']';
    return ok(envelope_with("topic offsets returned", c, "offsets", a));
  }

  response topic_consumers(const std::string& cluster, const std::string& name, const call& c) const {
    const auto* st = state(cluster);
    if (!st) return error(404, "cluster not found", c);
    topic_groups.clear();
    st->consumers_of(name, topic_groups);
    const timestamp_ms now{wall_now_ms()};
    std::erase_if(topic_groups, [&](const std::string& g) { return !st->answerable(g, now); });
    std::sort(topic_groups.begin(), topic_groups.end());
    std::string a;
    append_names(a, topic_groups);
    return ok(envelope_with("consumers of topic returned", c, "consumers", a));
  }

  const fleet::fleet_status* fleet_of(const std::string& cluster) const {
    return ctx.fleet ? ctx.fleet(cluster) : nullptr;
  }

  response consumers(const std::string& cluster, const call& c) const {
    const auto* st = state(cluster);
    if (!st) return error(404, "cluster not found", c);
    auto& cache = lists_of(cluster, st);
    const timestamp_ms now{wall_now_ms()};
    if (const auto* f = fleet_of(cluster)) {
      // Issue 14: plus the groups other instances own, from the fleet's status topic (not cached:
      // that topic moves on its own).
      st->answerable_groups(now, listed);
      std::vector<std::string_view> remote, merged;  // views of the remote map's keys
      f->remote().for_each([&](const std::string& g, const fleet::remote_entry&) { remote.emplace_back(g); });
      std::sort(remote.begin(), remote.end());
      merged.reserve(listed.size() + remote.size());
      std::set_union(listed.begin(), listed.end(), remote.begin(), remote.end(), std::back_inserter(merged));
      std::string a;
      append_names(a, merged);
      return ok(envelope_with("consumer list returned", c, "consumers", a));
    }
    if (!cache.consumers_valid || !st->same_answerable_groups(cache.consumers_stamp, now)) {
      cache.consumers_stamp = st->answerable_groups(now, listed);
      cache.consumers.clear();
      append_names(cache.consumers, listed);
      cache.consumers_valid = true;
    }
    return ok(envelope_with("consumer list returned", c, "consumers", cache.consumers));
  }

  response consumer(const std::string& cluster, const std::string& group, const call& c) const {
    const auto* st = state(cluster);
    const auto* f = fleet_of(cluster);
    if (!st || !st->view_group(group, timestamp_ms{wall_now_ms()}, view)) {
      // Issue 14: the windows live with the owner only: forwarded there, once.
      const fleet::remote_entry* e = f && st && !c.http.forwarded ? f->remote().find(group) : nullptr;
      if (!e || e->owner.id == f->self().id) return error(404, "cluster or consumer not found", c);
      return forward(*f, *e, c);
    }
    auto body = consumer_detail_response_json(view, c.url, ctx.hostname, freshness_of(cluster));
    if (f) body = fleet::with_owner(body, f->self());
    return response{200, "application/json", std::move(body), {}};
  }

  response forward(const fleet::fleet_status& f, const fleet::remote_entry& e, const call& c) const {
    response r;
    r.deferred = [ex = f.executor(), owner = e.owner, target = c.http.target, auth = c.http.authorization,
                  timeout = f.forward_timeout(), url = c.url, host = ctx.hostname]() -> task<response> {
      auto got = co_await fleet::forward_get(ex, owner.url, target, auth, timeout);
      if (!got.ok) {
        auto res = json_error(503, "owner " + owner.id + " (" + owner.url + ") of this consumer group is unreachable: " +
                                   got.error, url, host);
        res.headers.emplace_back("X-Warren-Owner", owner.id);
        co_return res;
      }
      got.response.headers.emplace_back("X-Warren-Owner", owner.id);
      co_return got.response;
    };
    return r;
  }

  /// Issue 12: the status object of `/lag` (all) or `/status` for a kept status, from the cache
  /// while the group's generation and evaluation time are those it was rendered for.
  const std::string& status_object(const std::string& cluster, const std::string& group, const kept_info& k,
                                   bool all) const {
    status_key.assign(cluster).push_back('\0');
    status_key.append(group).push_back(all ? 'l' : 's');
    auto it = statuses.find(status_key);
    if (it != statuses.end() && it->second.generation == k.generation && it->second.evaluated_at == k.evaluated_at)
      return it->second.object;
    ctx.evaluator->status(cluster, group, unpacked);  // kept: `k` was read in this same turn
    status_entry fresh{k.generation, k.evaluated_at, status_object_json(unpacked, !all)};
    if (it != statuses.end()) {
      status_bytes -= it->second.object.size();
      it->second = std::move(fresh);
    } else {
      if (status_bytes + fresh.object.size() > status_cache_bytes) {  // over budget: start again
        statuses.clear();
        status_bytes = 0;
      }
      it = statuses.emplace(status_key, std::move(fresh)).first;
    }
    status_bytes += it->second.object.size();
    return it->second.object;
  }

  response consumer_status(const std::string& cluster, const std::string& group, bool all, const call& c) const {
    const auto kept = ctx.evaluator ? ctx.evaluator->info(cluster, group) : std::nullopt;
    const auto fresh = freshness_of(cluster);
    const auto* f = fleet_of(cluster);
    if (f && kept) {  // issue 14: the owner (this instance) named in the status object
      auto object = fleet::with_owner(status_object(cluster, group, *kept, all), f->self());
      return response{200, "application/json", status_response_json_raw(object, c.url, ctx.hostname, fresh), {}};
    }
    if (f && !kept) {  // issue 14: another instance's status, from the fleet's status topic
      if (const auto* e = f->remote().find(group); e && state(cluster)) {
        // `/lag` (every partition) from a v2 record: the record holds the `/status` object only,
        // the owner has the rest: forwarded there once, like the detail (not found below when it
        // was forwarded here already, or names this instance).
        const bool to_owner = all && e->lag_json.empty();
        if (to_owner && !c.http.forwarded && e->owner.id != f->self().id) return forward(*f, *e, c);
        if (!to_owner) {
          auto object = fleet::with_owner(all ? e->lag_json : e->status_json, e->owner);
          return response{200, "application/json", status_response_json_raw(object, c.url, ctx.hostname, fresh), {}};
        }
      }
    }
    if (!kept) {
      // Burrow: unknown or expired group → 404 with a NOTFOUND status and "error": false.
      return response{404, "application/json",
                      status_response_json(not_found_status(cluster, group), c.url, ctx.hostname, fresh), {}};
    }
    return response{200, "application/json",
                    status_response_json_raw(status_object(cluster, group, *kept, all), c.url, ctx.hostname, fresh), {}};
  }

  response consumer_delete(const std::string& cluster, const std::string& group, const std::string& topic_name,
                           const call& c) const {
    if (ctx.store) {
      // A command through the store's mailbox, never the store's mutating functions; it does
      // not wait, so a full mailbox is a 503 the client may retry.
      store_cmd::batch b{cluster, {}};
      b.commands.emplace_back(
          store_cmd::delete_group{.group = warren::group_name{group}, .topic = warren::topic_name{topic_name}});
      if (!ctx.store->try_send(std::move(b))) return error(503, "storage busy, retry later", c);
    }
    // Burrow: always 200, even when nothing existed.
    return ok(envelope("consumer group removed", c));
  }

  response loglevel_set(const call& c) const {
    json::error_code ec;
    auto v = json::parse(c.http.body, ec);
    if (ec || !v.is_object() || !v.as_object().contains("level") || !v.as_object().at("level").is_string())
      return error(400, "could not decode message body", c);
    auto level = parse_log_level(std::string_view(v.as_object().at("level").as_string()));
    if (!level) return error(404, "unknown log level", c);
    set_log_level(*level);
    log_info("http", "log level set to ", to_string(*level));
    return ok(envelope("set log level", c));
  }

  // Test-only (registered when ctx.inject_fault is set). `-` or `_` names no cluster: a
  // process-wide actor (offset_store, group_evaluator, ws_hub).
  response inject_fault(const std::string& actor, const std::string& cluster, const call& c) const {
    const std::string target = (cluster == "-" || cluster == "_") ? std::string() : cluster;
    if (!ctx.inject_fault(actor, target)) return error(404, "unknown actor", c);
    log_warn("http", "fault injected into ", actor, target.empty() ? "" : "/", target);
    return ok(envelope("fault injected", c));
  }

  response not_found() const {
    // Burrow's catch-all: text/plain with this exact JSON-looking body and a newline.
    return response{404, "text/plain; charset=utf-8",
                    "{\"error\":true,\"message\":\"invalid request type\",\"result\":{}}\n", {}};
  }
  response not_found(const call&) const { return not_found(); }

  // Burrow's router redirects a path with a trailing slash to the same route without it (301 for
  // GET, 307 otherwise, query kept); anything else is the catch-all.
  response trailing_slash_redirect(const request& req) const {
    if (req.path.size() < 2 || req.path.back() != '/') return not_found();
    const std::string trimmed = req.path.substr(0, req.path.size() - 1);
    if (table.match(req.method, trimmed).kind != match_kind::found) return not_found();
    const std::string location = trimmed + req.target.substr(req.path.size());
    response r{req.method == "GET" ? 301u : 307u, "text/html; charset=utf-8", {}, {{"Location", location}}};
    if (req.method == "GET") {
      std::string href;
      for (char ch : location) {
        switch (ch) {
          case '&': href += "&amp;"; break;
          case '<': href += "&lt;"; break;
          case '>': href += "&gt;"; break;
          case '"': href += "&#34;"; break;
          case '\'': href += "&#39;"; break;
          default: href += ch;
        }
      }
      r.body = "<a href=\"" + href + "\">Moved Permanently</a>.\n\n";
    }
    return r;
  }

  response handle(const request& req) {
    auto m = table.match(req.method, req.path);
    // Burrow echoes Go's r.URL.Path: the whole path, percent-decoded.
    const call c{req, m.params, percent_decode(req.path).value_or(req.path)};
    response res;
    static const std::string unmatched = "unmatched";
    const std::string* route_label = &unmatched;
    const route* matched = nullptr;
    switch (m.kind) {
      case match_kind::found: {
        matched = &routes()[static_cast<std::size_t>(m.id)];
        route_label = &labels[static_cast<std::size_t>(m.id)];
        // Warren's tokens (auth.hpp); the server applies the same rule to /v3/stream upgrades.
        const access needed = access_for(req.method, matched->pattern);
        if (!authorized(tokens, needed, req.authorization)) {
          res = error(401, unauthorized_message(needed), c);
          res.headers.emplace_back("WWW-Authenticate", std::string(www_authenticate));
          break;
        }
        res = matched->handle(*this, c);
        break;
      }
      case match_kind::method_not_allowed:
        // Burrow's router (httprouter) answers OPTIONS itself and lists OPTIONS as allowed.
        if (req.method == "OPTIONS") res = response{200, "text/plain; charset=utf-8", "", {}};
        else res = error(405, "method not allowed", c);
        res.headers.emplace_back("Allow", m.allow + ", OPTIONS");
        break;
      case match_kind::bad_path: res = error(400, "malformed percent-encoding in path", c); break;
      case match_kind::not_found: res = trailing_slash_redirect(req); break;
    }
    // CORS like Burrow: on JSON responses and the admin endpoints, not on /metrics or the catch-all.
    const auto& origin = ctx.cfg->general.access_control_allow_origin;
    const bool cors = !origin.empty() && matched && matched->cors;
    if (res.deferred) {
      // Issue 14: a request forwarded to the owner is answered later: its CORS header and its
      // count go on the answer it gets (the owner's status, or 503 when unreachable), not on the
      // placeholder returned now.
      res.deferred = [inner = std::move(res.deferred), count = ctx.count_request, label = *route_label,
                      origin = cors ? origin : std::string()]() -> task<response> {
        response answer = co_await inner();  // the owner's status, body and type (fleet/forward.hpp)
        if (!origin.empty()) answer.headers.emplace_back("Access-Control-Allow-Origin", origin);
        if (count) count(label, answer.status);
        co_return answer;
      };
      return res;
    }
    if (cors) res.headers.emplace_back("Access-Control-Allow-Origin", origin);
    if (ctx.count_request) ctx.count_request(*route_label, res.status);
    return res;
  }
};

api_v3::api_v3(api_context ctx) : impl_(std::make_unique<impl>(std::move(ctx))) {}
api_v3::~api_v3() = default;
response api_v3::handle(const request& req) { return impl_->handle(req); }

}  // namespace warren::http
