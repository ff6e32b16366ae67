#include "service/http/api_v3.hpp"

#include <boost/json.hpp>

#include "service/config/config.hpp"
#include "service/core/clock.hpp"
#include "service/evaluator/group_evaluator.hpp"
#include "service/evaluator/status_json.hpp"
#include "service/storage/offset_store.hpp"
#include "service/core/log.hpp"
#include "service/http/json_error.hpp"
#include "service/http/router.hpp"

namespace warren::http {
namespace json = boost::json;

namespace {
enum route_id : int {
  r_admin,
  r_ready,
  r_metrics,
  r_clusters,
  r_cluster,
  r_topics,
  r_topic,
  r_topic_consumers,
  r_consumers,
  r_consumer,
  r_consumer_status,
  r_consumer_lag,
  r_consumer_delete,
  r_consumer_topic_delete,
  r_config,
  r_config_list,
  r_config_storage,
  r_config_evaluator,
  r_config_cluster,
  r_config_consumer,
  r_config_notifier,
  r_loglevel_get,
  r_loglevel_set,
};

std::vector<route_def> routes() {
  return {
      {r_admin, "GET", "/burrow/admin"},
      {r_ready, "GET", "/burrow/admin/ready"},
      {r_metrics, "GET", "/metrics"},
      {r_clusters, "GET", "/v3/kafka"},
      {r_cluster, "GET", "/v3/kafka/:cluster"},
      {r_topics, "GET", "/v3/kafka/:cluster/topic"},
      {r_topic, "GET", "/v3/kafka/:cluster/topic/:topic"},
      {r_topic_consumers, "GET", "/v3/kafka/:cluster/topic/:topic/consumers"},
      {r_consumers, "GET", "/v3/kafka/:cluster/consumer"},
      {r_consumer, "GET", "/v3/kafka/:cluster/consumer/:consumer"},
      {r_consumer_status, "GET", "/v3/kafka/:cluster/consumer/:consumer/status"},
      {r_consumer_lag, "GET", "/v3/kafka/:cluster/consumer/:consumer/lag"},
      {r_consumer_delete, "DELETE", "/v3/kafka/:cluster/consumer/:consumer"},
      {r_consumer_topic_delete, "DELETE", "/v3/kafka/:cluster/consumer/:consumer/topic/:topic"},
      {r_config, "GET", "/v3/config"},
      {r_config_list, "GET", "/v3/config/:coordinator"},
      {r_config_storage, "GET", "/v3/config/storage/:name"},
      {r_config_evaluator, "GET", "/v3/config/evaluator/:name"},
      {r_config_cluster, "GET", "/v3/config/cluster/:name"},
      {r_config_consumer, "GET", "/v3/config/consumer/:name"},
      {r_config_notifier, "GET", "/v3/config/notifier/:name"},
      {r_loglevel_get, "GET", "/v3/admin/loglevel"},
      {r_loglevel_set, "POST", "/v3/admin/loglevel"},
  };
}

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
}  // namespace

struct api_v3::impl {
  explicit impl(api_context c) : ctx(std::move(c)), defs(routes()), table(defs) {}
  api_context ctx;
  std::vector<route_def> defs;
  router table;

  json::object envelope(std::string_view message, const request& req) const {
    json::object o;
    o["error"] = false;
    o["message"] = message;
    o["request"] = {{"url", req.path}, {"host", ctx.hostname}};
    return o;
  }
  response ok(json::object body) const {
    response r{200, "application/json", json::serialize(body), {}};
    return r;
  }
  response error(unsigned status, std::string_view message, const request& req) const {
    return json_error(status, message, req.path, ctx.hostname);
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

  response cluster_detail(const std::string& name, const request& req) const {
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

  response config_main(const request& req) const {
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
    o["zookeeper"] = {{"servers", strings(cfg.zookeeper.servers)},
                      {"timeout", cfg.zookeeper.timeout.count()},
                      {"root-path", cfg.zookeeper.root_path}};
    json::object servers;
    for (const auto& [name, h] : cfg.httpservers)
      servers[name] = {{"address", h.address}, {"tls", h.tls}, {"timeout", h.timeout.count()}};
    o["httpserver"] = std::move(servers);
    return ok(std::move(o));
  }

  response config_list(const std::string& coordinator, const request& req) const {
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

  response config_storage(const std::string& name, const request& req) const {
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

  response config_evaluator(const std::string& name, const request& req) const {
    auto it = ctx.cfg->evaluators.find(name);
    if (it == ctx.cfg->evaluators.end()) return error(404, "evaluator module not found", req);
    auto o = envelope("evaluator module detail returned", req);
    o["module"] = {{"class-name", it->second.class_name}, {"expire-cache", it->second.expire_cache.count()}};
    return ok(std::move(o));
  }

  response config_consumer(const std::string& name, const request& req) const {
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

  response config_notifier(const std::string& name, const request& req) const {
    auto it = ctx.cfg->notifiers.find(name);
    if (it == ctx.cfg->notifiers.end()) return error(404, "notifier module not found", req);
    const auto& n = it->second;
    // Burrow renders `extra` verbatim and leaks API keys; Warren keeps the keys and hides values.
    json::object extra;
    for (const auto& [k, v] : n.extras) extra[k] = "REDACTED";
    json::object m{{"class-name", n.class_name}, {"group-allowlist", n.group_allowlist},
                   {"interval", n.interval.count()}, {"threshold", n.threshold}};
    if (n.class_name == "http") {
      m["timeout"] = n.timeout.count();
      m["keepalive"] = n.keepalive.count();
      m["url-open"] = n.url_open;
      m["url-close"] = n.url_close;
      m["method-open"] = n.method_open;
      m["method-close"] = n.method_close;
      m["template-open"] = n.template_open;
      m["template-close"] = n.template_close;
      m["extra"] = std::move(extra);
      m["send-close"] = n.send_close;
      m["extra-ca"] = n.extra_ca;
      m["noverify"] = n.noverify ? "true" : "";
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

  response topics(const std::string& cluster, const request& req) const {
    const auto* st = state(cluster);
    if (!st) return error(404, "cluster not found", req);
    auto o = envelope("topic list returned", req);
    o["topics"] = strings(st->topics());
    return ok(std::move(o));
  }

  response topic(const std::string& cluster, const std::string& name, const request& req) const {
    const auto* st = state(cluster);
    auto offsets = st ? st->topic_offsets(name) : std::nullopt;
    if (!offsets) return error(404, "cluster or topic not found", req);
    auto o = envelope("topic offsets returned", req);
    json::array a;
    for (auto v : *offsets) a.emplace_back(v);
    o["offsets"] = std::move(a);
    return ok(std::move(o));
  }

  response topic_consumers(const std::string& cluster, const std::string& name, const request& req) const {
    const auto* st = state(cluster);
    if (!st) return error(404, "cluster not found", req);
    auto o = envelope("consumers of topic returned", req);
    o["consumers"] = strings(st->groups_of_topic(name));
    return ok(std::move(o));
  }

  response consumers(const std::string& cluster, const request& req) const {
    const auto* st = state(cluster);
    if (!st) return error(404, "cluster not found", req);
    auto o = envelope("consumer list returned", req);
    o["consumers"] = strings(st->groups());
    return ok(std::move(o));
  }

  response consumer(const std::string& cluster, const std::string& group, const request& req) const {
    const auto* st = state(cluster);
    group_view view;
    if (!st || !st->view_group(group, timestamp_ms{wall_now_ms()}, view))
      return error(404, "cluster or consumer not found", req);
    return response{200, "application/json", consumer_detail_response_json(view, req.path, ctx.hostname), {}};
  }

  response consumer_status(const std::string& cluster, const std::string& group, bool all,
                           const request& req) const {
    const group_status* kept = ctx.evaluator ? ctx.evaluator->status(cluster, group) : nullptr;
    if (!kept) {
      // Burrow: unknown or expired group → 404 with a NOTFOUND status and "error": false.
      return response{404, "application/json",
                      status_response_json(not_found_status(cluster, group), req.path, ctx.hostname), {}};
    }
    auto body = all ? status_response_json(*kept, req.path, ctx.hostname)
                    : status_response_json(only_problems(*kept), req.path, ctx.hostname);
    return response{200, "application/json", std::move(body), {}};
  }

  response consumer_delete(const std::string& cluster, const std::string& group, const std::string& topic_name,
                           const request& req) const {
    if (!admin_allowed(req)) return error(401, "admin token required", req);
    if (ctx.store) {
      store_cmd::batch b{cluster, {}};
      b.commands.emplace_back(store_cmd::delete_group{group, topic_name});
      ctx.store->apply(b);
    }
    // Burrow: always 200, even when nothing existed.
    return ok(envelope("consumer group removed", req));
  }

  bool admin_allowed(const request& req) const {
    const auto& token = ctx.cfg->warren.admin_token;
    return token.empty() || req.authorization == "Bearer " + token;
  }

  response loglevel_set(const request& req) const {
    if (!admin_allowed(req)) return error(401, "admin token required", req);
    json::error_code ec;
    auto v = json::parse(req.body, ec);
    if (ec || !v.is_object() || !v.as_object().contains("level") || !v.as_object().at("level").is_string())
      return error(400, "could not decode message body", req);
    auto level = parse_log_level(std::string_view(v.as_object().at("level").as_string()));
    if (!level) return error(404, "unknown log level", req);
    set_log_level(*level);
    log_info("http", "log level set to ", to_string(*level));
    return ok(envelope("set log level", req));
  }

  response not_found(const request&) const {
    // Burrow's catch-all: text/plain with this exact JSON-looking body and a newline.
    return response{404, "text/plain; charset=utf-8",
                    "{\"error\":true,\"message\":\"invalid request type\",\"result\":{}}\n", {}};
  }

  // Burrow's router redirects a path with a trailing slash to the same route without it (301 for
  // GET, 307 otherwise, query kept); anything else is the catch-all.
  response trailing_slash_redirect(const request& req) const {
    if (req.path.size() < 2 || req.path.back() != '/') return not_found(req);
    const std::string trimmed = req.path.substr(0, req.path.size() - 1);
    if (table.match(req.method, trimmed).kind != match_kind::found) return not_found(req);
    const std::string location = trimmed + req.target.substr(req.path.size());
    response r{req.method == "GET" ? 301u : 307u, "text/html; charset=utf-8", {}, {{"Location", location}}};
    if (req.method == "GET") {
      std::string href;
      for (char c : location) {
        switch (c) {
          case '&': href += "&amp;"; break;
          case '<': href += "&lt;"; break;
          case '>': href += "&gt;"; break;
          case '"': href += "&#34;"; break;
          case '\'': href += "&#39;"; break;
          default: href += c;
        }
      }
      r.body = "<a href=\"" + href + "\">Moved Permanently</a>.\n\n";
    }
    return r;
  }

  response dispatch(const route_match& m, const request& req) {
    switch (m.id) {
      case r_admin: return response{200, "text/plain", "GOOD", {}};
      case r_ready:
        if (!ctx.ready || ctx.ready()) return response{200, "text/plain", "READY", {}};
        return response{503, "text/plain", "STARTING", {}};
      case r_metrics:
        return response{200, "text/plain; version=0.0.4; charset=utf-8", ctx.metrics ? ctx.metrics() : "", {}};
      case r_clusters: {
        auto o = envelope("cluster list returned", req);
        o["clusters"] = names(ctx.cfg->clusters);
        return ok(std::move(o));
      }
      case r_cluster: return cluster_detail(m.params[0], req);
      case r_topics: return topics(m.params[0], req);
      case r_topic: return topic(m.params[0], m.params[1], req);
      case r_topic_consumers: return topic_consumers(m.params[0], m.params[1], req);
      case r_consumers: return consumers(m.params[0], req);
      case r_consumer: return consumer(m.params[0], m.params[1], req);
      case r_consumer_status: return consumer_status(m.params[0], m.params[1], false, req);
      case r_consumer_lag: return consumer_status(m.params[0], m.params[1], true, req);
      case r_consumer_delete: return consumer_delete(m.params[0], m.params[1], {}, req);
      case r_consumer_topic_delete: return consumer_delete(m.params[0], m.params[1], m.params[2], req);
      case r_config: return config_main(req);
      case r_config_list: return config_list(m.params[0], req);
      case r_config_storage: return config_storage(m.params[0], req);
      case r_config_evaluator: return config_evaluator(m.params[0], req);
      case r_config_cluster: return cluster_detail(m.params[0], req);
      case r_config_consumer: return config_consumer(m.params[0], req);
      case r_config_notifier: return config_notifier(m.params[0], req);
      case r_loglevel_get: {
        auto o = envelope("log level returned", req);
        o["level"] = to_string(current_log_level());
        return ok(std::move(o));
      }
      case r_loglevel_set: return loglevel_set(req);
    }
    return not_found(req);
  }

  response handle(const request& req) {
    auto m = table.match(req.method, req.path);
    response res;
    std::string route_label = "unmatched";
    switch (m.kind) {
      case match_kind::found:
        for (const auto& d : defs)
          if (d.id == m.id) route_label = std::string(d.method) + " " + std::string(d.pattern);
        res = dispatch(m, req);
        break;
      case match_kind::method_not_allowed:
        // Burrow's router (httprouter) answers OPTIONS itself and lists OPTIONS as allowed.
        if (req.method == "OPTIONS") res = response{200, "text/plain; charset=utf-8", "", {}};
        else res = error(405, "method not allowed", req);
        res.headers.emplace_back("Allow", m.allow + ", OPTIONS");
        break;
      case match_kind::bad_path: res = error(400, "malformed percent-encoding in path", req); break;
      case match_kind::not_found: res = trailing_slash_redirect(req); break;
    }
    // CORS like Burrow: on JSON responses and the admin endpoints, not on /metrics or the catch-all.
    const auto& origin = ctx.cfg->general.access_control_allow_origin;
    if (!origin.empty() && m.kind == match_kind::found && m.id != r_metrics)
      res.headers.emplace_back("Access-Control-Allow-Origin", origin);
    if (ctx.count_request) ctx.count_request(route_label, res.status);
    return res;
  }
};

api_v3::api_v3(api_context ctx) : impl_(std::make_unique<impl>(std::move(ctx))) {}
api_v3::~api_v3() = default;
response api_v3::handle(const request& req) { return impl_->handle(req); }

}  // namespace warren::http
