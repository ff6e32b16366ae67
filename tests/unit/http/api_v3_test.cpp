// The v3 route table and Warren's HTTP additions, through api_v3::handle with an api_context filled
// by hand (no store, no evaluator, no sockets): every Burrow route reaches its handler, 405 with
// Allow, the catch-all, request.url decoding, Burrow's admin content types and zookeeper block,
// /v3/health's verdict rules, freshness on status answers and the test-only fault endpoint.
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "service/config/config.hpp"
#include "service/http/api_v3.hpp"

namespace warren::http {
namespace {
namespace json = boost::json;

constexpr const char* catch_all = "{\"error\":true,\"message\":\"invalid request type\",\"result\":{}}\n";

struct api_fixture {
  config cfg;
  std::map<std::string, cluster_health> health;
  std::vector<actor_health> actors;
  std::vector<std::pair<std::string, std::string>> faults;
  std::vector<std::pair<std::string, unsigned>> counted;
  bool fault_injection = false;

  api_fixture() {
    cluster_module local;
    local.name = "local";
    local.servers = {"127.0.0.1:9092"};
    cfg.clusters["local"] = local;
    cfg.storage["default"] = storage_module{};
    cfg.evaluators["default"] = evaluator_module{};
    health["local"].offsets_caught_up = true;
  }

  api_context context() {
    api_context ctx;
    ctx.cfg = &cfg;
    ctx.hostname = "test-host";
    ctx.health = [this](const std::string& c) { return health.count(c) ? health.at(c) : cluster_health{}; };
    ctx.actors = [this] { return actors; };
    ctx.count_request = [this](const std::string& route, unsigned status) { counted.emplace_back(route, status); };
    if (fault_injection)
      ctx.inject_fault = [this](const std::string& actor, const std::string& cluster) {
        if (actor != "offsets_reader" && actor != "offset_store") return false;
        faults.emplace_back(actor, cluster);
        return true;
      };
    return ctx;
  }

  response call(const std::string& method, const std::string& target, const std::string& body = {},
                const std::string& authorization = {}) {
    api_v3 api(context());
    request r;
    r.method = method;
    r.target = target;
    r.path = target.substr(0, target.find('?'));
    r.body = body;
    r.authorization = authorization;
    return api.handle(r);
  }
};

json::object body_of(const response& r) {
  BOOST_TEST_REQUIRE(r.content_type == "application/json", r.content_type << ": " << r.body);
  return json::parse(r.body).as_object();
}

std::string header(const response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(http_api_v3, api_fixture)

BOOST_AUTO_TEST_CASE(every_burrow_route_reaches_its_handler) {
  struct route_case {
    std::string method, path;
    unsigned status;
    std::string message;  // the JSON body's `message`
    std::string label;    // the route label counted for metrics
    std::string body = {};
  };
  const std::vector<route_case> cases{
      {"GET", "/v3/kafka", 200, "cluster list returned", "GET /v3/kafka"},
      {"GET", "/v3/kafka/local", 200, "cluster module detail returned", "GET /v3/kafka/:cluster"},
      {"GET", "/v3/kafka/local/topic", 404, "cluster not found", "GET /v3/kafka/:cluster/topic"},
      {"GET", "/v3/kafka/local/topic/t", 404, "cluster or topic not found", "GET /v3/kafka/:cluster/topic/:topic"},
      {"GET", "/v3/kafka/local/topic/t/consumers", 404, "cluster not found",
       "GET /v3/kafka/:cluster/topic/:topic/consumers"},
      {"GET", "/v3/kafka/local/consumer", 404, "cluster not found", "GET /v3/kafka/:cluster/consumer"},
      {"GET", "/v3/kafka/local/consumer/g", 404, "cluster or consumer not found",
       "GET /v3/kafka/:cluster/consumer/:consumer"},
      {"GET", "/v3/kafka/local/consumer/g/status", 404, "consumer status returned",
       "GET /v3/kafka/:cluster/consumer/:consumer/status"},
      {"GET", "/v3/kafka/local/consumer/g/lag", 404, "consumer status returned",
       "GET /v3/kafka/:cluster/consumer/:consumer/lag"},
      {"DELETE", "/v3/kafka/local/consumer/g", 200, "consumer group removed",
       "DELETE /v3/kafka/:cluster/consumer/:consumer"},
      {"DELETE", "/v3/kafka/local/consumer/g/topic/t", 200, "consumer group removed",
       "DELETE /v3/kafka/:cluster/consumer/:consumer/topic/:topic"},
      {"GET", "/v3/config", 200, "main config returned", "GET /v3/config"},
      {"GET", "/v3/config/storage", 200, "module list returned", "GET /v3/config/:coordinator"},
      {"GET", "/v3/config/evaluator", 200, "module list returned", "GET /v3/config/:coordinator"},
      {"GET", "/v3/config/cluster", 200, "module list returned", "GET /v3/config/:coordinator"},
      {"GET", "/v3/config/consumer", 200, "module list returned", "GET /v3/config/:coordinator"},
      {"GET", "/v3/config/notifier", 200, "module list returned", "GET /v3/config/:coordinator"},
      {"GET", "/v3/config/storage/default", 200, "storage module detail returned", "GET /v3/config/storage/:name"},
      {"GET", "/v3/config/evaluator/default", 200, "evaluator module detail returned",
       "GET /v3/config/evaluator/:name"},
      {"GET", "/v3/config/cluster/local", 200, "cluster module detail returned", "GET /v3/config/cluster/:name"},
      {"GET", "/v3/config/consumer/nope", 404, "consumer module not found", "GET /v3/config/consumer/:name"},
      {"GET", "/v3/config/notifier/nope", 404, "notifier module not found", "GET /v3/config/notifier/:name"},
      {"GET", "/v3/admin/loglevel", 200, "log level returned", "GET /v3/admin/loglevel"},
      {"POST", "/v3/admin/loglevel", 200, "set log level", "POST /v3/admin/loglevel", R"({"level":"info"})"},
      {"GET", "/v3/health", 200, "health returned", "GET /v3/health"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.method << " " << c.path) {
      counted.clear();
      auto r = call(c.method, c.path, c.body);
      BOOST_TEST(r.status == c.status, r.body);
      auto b = body_of(r);
      BOOST_TEST(std::string_view(b.at("message").as_string()) == c.message);
      BOOST_TEST(std::string_view(b.at("request").at("url").as_string()) == c.path);
      BOOST_TEST(std::string_view(b.at("request").at("host").as_string()) == "test-host");
      BOOST_TEST_REQUIRE(counted.size() == 1u);
      BOOST_TEST(counted[0].first == c.label);
      BOOST_TEST(counted[0].second == c.status);
    }
  }
  // The text endpoints.
  BOOST_TEST(call("GET", "/burrow/admin").body == "GOOD");
  BOOST_TEST(call("GET", "/burrow/admin/ready").body == "READY");
  BOOST_TEST(call("GET", "/metrics").content_type == "text/plain; version=0.0.4; charset=utf-8");
  // An unknown config coordinator is Burrow's catch-all.
  BOOST_TEST(call("GET", "/v3/config/nothing").body == catch_all);
}

BOOST_AUTO_TEST_CASE(admin_endpoints_are_text_plain_utf8_like_burrow) {
  for (const std::string path : {"/burrow/admin", "/burrow/admin/ready"}) {
    auto r = call("GET", path);
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.content_type == "text/plain; charset=utf-8", path);
  }
  api_context ctx = context();
  ctx.ready = [] { return false; };
  api_v3 api(std::move(ctx));
  auto starting = api.handle(request{"GET", "/burrow/admin/ready", "/burrow/admin/ready", "", ""});
  BOOST_TEST(starting.status == 503u);
  BOOST_TEST(starting.body == "STARTING");
  BOOST_TEST(starting.content_type == "text/plain; charset=utf-8");
}

BOOST_AUTO_TEST_CASE(wrong_method_gets_405_with_allow_and_options_gets_200) {
  auto r = call("POST", "/v3/kafka");
  BOOST_TEST(r.status == 405u);
  BOOST_TEST(header(r, "Allow") == "GET, OPTIONS");
  BOOST_TEST(std::string_view(body_of(r).at("message").as_string()) == "method not allowed");
  auto both = call("PUT", "/v3/kafka/local/consumer/g");
  BOOST_TEST(both.status == 405u);
  BOOST_TEST(header(both, "Allow") == "GET, DELETE, OPTIONS");
  auto options = call("OPTIONS", "/v3/kafka/local/consumer/g");
  BOOST_TEST(options.status == 200u);
  BOOST_TEST(options.body.empty());
  BOOST_TEST(header(options, "Allow") == "GET, DELETE, OPTIONS");
  BOOST_TEST(call("HEAD", "/v3/kafka").status == 200u);
  auto health_post = call("POST", "/v3/health");
  BOOST_TEST(health_post.status == 405u);
  BOOST_TEST(header(health_post, "Allow") == "GET, OPTIONS");
}

BOOST_AUTO_TEST_CASE(unknown_paths_get_the_catch_all_and_trailing_slashes_redirect) {
  for (const std::string path : {"/dashboard", "/v2/kafka", "/v3/kafka/local/consumer/g/extra/deep", "/v3//kafka"}) {
    auto r = call("GET", path);
    BOOST_TEST(r.status == 404u, path);
    BOOST_TEST(r.body == catch_all, path);
    BOOST_TEST(r.content_type == "text/plain; charset=utf-8");
  }
  auto redirect = call("GET", "/v3/kafka/?x=1");
  BOOST_TEST(redirect.status == 301u);
  BOOST_TEST(header(redirect, "Location") == "/v3/kafka?x=1");
  BOOST_TEST(call("DELETE", "/v3/kafka/local/consumer/g/").status == 307u);
}

BOOST_AUTO_TEST_CASE(request_url_is_the_decoded_path_like_go) {
  auto r = call("GET", "/v3/kafka/a%2Fb%20c%25d?x=%20");
  BOOST_TEST(r.status == 404u);
  auto b = body_of(r);
  BOOST_TEST(std::string_view(b.at("message").as_string()) == "cluster module not found");
  BOOST_TEST(std::string_view(b.at("request").at("url").as_string()) == "/v3/kafka/a/b c%d");
  auto lag = body_of(call("GET", "/v3/kafka/local/consumer/x%2By%20z/lag"));
  BOOST_TEST(std::string_view(lag.at("request").at("url").as_string()) == "/v3/kafka/local/consumer/x+y z/lag");
  BOOST_TEST(std::string_view(lag.at("status").at("group").as_string()) == "x+y z");
  // A path that cannot be decoded is echoed as received.
  auto bad = call("GET", "/v3/kafka/local/consumer/bad%zz");
  BOOST_TEST(bad.status == 400u);
  BOOST_TEST(std::string_view(body_of(bad).at("request").at("url").as_string()) == "/v3/kafka/local/consumer/bad%zz");
}

BOOST_AUTO_TEST_CASE(config_zookeeper_block_is_burrows_when_the_section_is_absent) {
  // No notifier: Burrow never configures its zookeeper coordinator, so no defaults apply.
  auto zk = body_of(call("GET", "/v3/config")).at("zookeeper");
  BOOST_TEST(json::serialize(zk) == R"({"servers":null,"timeout":0,"root-path":""})");
  // Values given in the file are shown.
  cfg.zookeeper.servers = {"zk1:2181"};
  cfg.zookeeper.timeout = std::chrono::seconds{9};
  cfg.zookeeper.root_path = "/warren";
  zk = body_of(call("GET", "/v3/config")).at("zookeeper");
  BOOST_TEST(json::serialize(zk) == R"({"servers":["zk1:2181"],"timeout":9,"root-path":"/warren"})");
  // With a notifier Burrow's coordinator sets its defaults (timeout 6, root-path /burrow).
  cfg.zookeeper = zookeeper_options{};
  notifier_module n;
  n.name = "quiet";
  n.class_name = "null";
  cfg.notifiers["quiet"] = n;
  zk = body_of(call("GET", "/v3/config")).at("zookeeper");
  BOOST_TEST(json::serialize(zk) == R"({"servers":null,"timeout":6,"root-path":"/burrow"})");
}

BOOST_AUTO_TEST_CASE(health_verdict_rules) {
  auto healthy = [] {
    cluster_health h;
    h.offsets_caught_up = true;
    return h;
  };
  auto replaying = [&] {
    auto h = healthy();
    h.offsets_caught_up = false;
    h.replay_position = 50;
    h.replay_target = 200;
    return h;
  };
  auto unreachable = [&] {
    auto h = healthy();
    h.reachable = false;
    h.last_error = "timed out";
    return h;
  };
  auto stale = [&] {
    auto h = healthy();
    h.freshness = {true, 5, "offsets reader down"};
    return h;
  };
  const actor_health up{"offsets_reader", "a", true, 0, "", 0};
  const actor_health restarted{"cluster_poller", "a", true, 2, "boom", 1000};
  const actor_health down{"offset_store", "", false, 3, "bad_alloc", 2000};
  struct verdict_case {
    const char* name;
    std::vector<std::pair<std::string, cluster_health>> clusters;
    std::vector<actor_health> actors;
    health_verdict expected;
    std::vector<std::string> reasons;
  };
  const std::vector<verdict_case> cases{
      {"nothing_configured", {}, {}, health_verdict::ok, {}},
      {"all_healthy", {{"a", healthy()}, {"b", healthy()}}, {up}, health_verdict::ok, {}},
      {"restarted_actor_that_is_up_again_is_ok", {{"a", healthy()}}, {up, restarted}, health_verdict::ok, {}},
      {"replay_in_progress_is_degraded", {{"a", healthy()}, {"b", replaying()}}, {up}, health_verdict::degraded,
       {"cluster b offsets replay in progress (25%)"}},
      {"stale_cluster_is_degraded", {{"a", stale()}}, {up}, health_verdict::degraded,
       {"cluster a stale: offsets reader down"}},
      {"unreachable_cluster_is_down", {{"a", unreachable()}}, {up}, health_verdict::down,
       {"cluster a unreachable: timed out"}},
      {"down_actor_is_down", {{"a", healthy()}}, {up, down}, health_verdict::down,
       {"actor offset_store down: bad_alloc"}},
      {"down_beats_degraded", {{"a", replaying()}}, {down}, health_verdict::down,
       {"cluster a offsets replay in progress (25%)", "actor offset_store down: bad_alloc"}},
      {"unreachable_while_replaying_reports_unreachable", {{"a", [&] {
                                                              auto h = unreachable();
                                                              h.offsets_caught_up = false;
                                                              return h;
                                                            }()}},
       {}, health_verdict::down, {"cluster a unreachable: timed out"}},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      const auto r = evaluate_health(c.clusters, c.actors);
      BOOST_TEST(to_string(r.verdict) == to_string(c.expected));
      BOOST_TEST(r.reasons == c.reasons, boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(health_endpoint_answers_the_verdict_with_its_http_status) {
  auto& h = health["local"];
  h.replay_position = 1000;
  h.replay_target = 1000;
  h.freshness = {false, 1700000000000, ""};
  actors = {{"offsets_reader", "local", true, 1, "boom", 1700000000001}, {"ws_hub", "", true, 0, "", 0}};
  auto r = call("GET", "/v3/health");
  BOOST_TEST(r.status == 200u, r.body);
  auto b = body_of(r);
  BOOST_TEST(b.at("error") == json::value(false));
  BOOST_TEST(std::string_view(b.at("status").as_string()) == "ok");
  BOOST_TEST(b.at("reasons").as_array().empty());
  BOOST_TEST(!b.at("version").as_string().empty());
  BOOST_TEST(b.at("uptime_s").as_int64() >= 0);
  BOOST_TEST(json::serialize(b.at("clusters")) ==
             R"({"local":{"reachable":true,"last_error":"","down_since":0,"offsets_caught_up":true,)"
             R"("replay_position":1000,"replay_target":1000,"replay_percent":100,)"
             R"("freshness":{"stale":false,"as_of":1700000000000,"reason":""}}})");
  BOOST_TEST(json::serialize(b.at("actors")) ==
             R"([{"actor":"offsets_reader","cluster":"local","up":true,"restarts":1,"last_error":"boom",)"
             R"("last_failure":1700000000001},)"
             R"({"actor":"ws_hub","cluster":"","up":true,"restarts":0,"last_error":"","last_failure":0}])");

  h.offsets_caught_up = false;
  h.replay_position = 10;
  r = call("GET", "/v3/health");
  BOOST_TEST(r.status == 503u);
  b = body_of(r);
  BOOST_TEST(std::string_view(b.at("status").as_string()) == "degraded");
  BOOST_TEST(b.at("clusters").at("local").at("replay_percent").as_int64() == 1);

  actors[1].up = false;
  r = call("GET", "/v3/health");
  BOOST_TEST(r.status == 503u);
  BOOST_TEST(std::string_view(body_of(r).at("status").as_string()) == "down");
}

BOOST_AUTO_TEST_CASE(status_answers_carry_warren_freshness_only_while_stale) {
  for (const std::string suffix : {"/status", "/lag"}) {
    BOOST_TEST_CONTEXT(suffix) {
      health["local"].freshness = {false, 1700000000000, ""};
      auto fresh = call("GET", "/v3/kafka/local/consumer/g" + suffix);
      BOOST_TEST(fresh.body.find("\"warren\"") == std::string::npos, fresh.body);
      // Burrow's bytes end with the request object.
      BOOST_TEST(fresh.body.ends_with(R"("request":{"url":"/v3/kafka/local/consumer/g)" + suffix +
                                      R"(","host":"test-host"}})"));

      health["local"].freshness = {true, 1700000000000, "cluster unreachable: timed out"};
      auto stale = call("GET", "/v3/kafka/local/consumer/g" + suffix);
      BOOST_TEST(stale.body.ends_with(R"("request":{"url":"/v3/kafka/local/consumer/g)" + suffix +
                                      R"(","host":"test-host"},"warren":{"stale":true,"as_of":1700000000000,)"
                                      R"("reason":"cluster unreachable: timed out"}})"),
                 stale.body);
      auto b = body_of(stale);
      BOOST_TEST(std::string_view(b.at("status").at("status").as_string()) == "NOTFOUND");
    }
  }
  // A cluster that is not configured has no freshness to report.
  health["other"].freshness = {true, 1, "stale"};
  BOOST_TEST(call("GET", "/v3/kafka/other/consumer/g/lag").body.find("\"warren\"") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(fault_endpoint_exists_only_with_fault_injection) {
  auto off = call("POST", "/v3/admin/fault/offsets_reader/local");
  BOOST_TEST(off.status == 404u);
  BOOST_TEST(off.body == catch_all);
  BOOST_TEST(call("GET", "/v3/admin/fault/offsets_reader/local").body == catch_all);

  fault_injection = true;
  auto r = call("POST", "/v3/admin/fault/offsets_reader/local");
  BOOST_TEST(r.status == 200u, r.body);
  BOOST_TEST(std::string_view(body_of(r).at("message").as_string()) == "fault injected");
  BOOST_TEST(call("POST", "/v3/admin/fault/offset_store/-").status == 200u);
  BOOST_TEST(call("POST", "/v3/admin/fault/offset_store/_").status == 200u);
  const std::vector<std::pair<std::string, std::string>> expected{
      {"offsets_reader", "local"}, {"offset_store", ""}, {"offset_store", ""}};
  BOOST_TEST((faults == expected));
  auto unknown = call("POST", "/v3/admin/fault/nope/local");
  BOOST_TEST(unknown.status == 404u);
  BOOST_TEST(std::string_view(body_of(unknown).at("message").as_string()) == "unknown actor");
  auto get = call("GET", "/v3/admin/fault/offsets_reader/local");
  BOOST_TEST(get.status == 405u);
  BOOST_TEST(header(get, "Allow") == "POST, OPTIONS");

  cfg.warren.admin_token = "t0ken";
  faults.clear();
  auto denied = call("POST", "/v3/admin/fault/offsets_reader/local");
  BOOST_TEST(denied.status == 401u);
  BOOST_TEST(std::string_view(body_of(denied).at("message").as_string()) == "admin token required");
  BOOST_TEST(call("POST", "/v3/admin/fault/offsets_reader/local", "", "Bearer nope").status == 401u);
  BOOST_TEST(faults.empty());
  BOOST_TEST(call("POST", "/v3/admin/fault/offsets_reader/local", "", "Bearer t0ken").status == 200u);
  BOOST_TEST(faults.size() == 1u);
}

BOOST_AUTO_TEST_CASE(cors_on_json_and_admin_answers_but_not_metrics) {
  cfg.general.access_control_allow_origin = "https://dash.example.com";
  for (const std::string path : {"/v3/kafka", "/burrow/admin", "/burrow/admin/ready", "/v3/health",
                                 "/v3/kafka/local/consumer/g/lag"})
    BOOST_TEST(header(call("GET", path), "Access-Control-Allow-Origin") == "https://dash.example.com", path);
  BOOST_TEST(header(call("GET", "/metrics"), "Access-Control-Allow-Origin").empty());
  BOOST_TEST(header(call("GET", "/nothing"), "Access-Control-Allow-Origin").empty());
}

BOOST_AUTO_TEST_CASE(read_token_guards_every_read_but_the_probes) {
  cfg.warren.read_token = "r3ad";
  for (const std::string path : {"/v3/kafka", "/v3/health", "/v3/config", "/v3/kafka/local", "/metrics",
                                 "/v3/admin/loglevel"}) {
    auto denied = call("GET", path);
    BOOST_TEST(denied.status == 401u, path);
    BOOST_TEST(header(denied, "WWW-Authenticate") == "Bearer realm=\"warren\"", path);
    auto b = body_of(denied);
    BOOST_TEST(std::string_view(b.at("message").as_string()) ==
                   (path == "/metrics" ? "metrics token required" : "read token required"),
               path);
    BOOST_TEST(std::string_view(b.at("request").at("url").as_string()) == path);
    BOOST_TEST(std::string_view(b.at("request").at("host").as_string()) == "test-host");
    BOOST_TEST(denied.body.find("r3ad") == std::string::npos);
    BOOST_TEST(call("GET", path, "", "Bearer wrong").status == 401u, path);
    BOOST_TEST(call("GET", path, "", "bearer r3ad").status != 401u, path);
    BOOST_TEST(call("GET", path, "", "BEARER r3ad").status != 401u, path);
  }
  BOOST_TEST(call("GET", "/burrow/admin").status == 200u);
  BOOST_TEST(call("GET", "/burrow/admin/ready").status == 200u);
  // Writes need the read token while no admin token is set.
  BOOST_TEST(call("POST", "/v3/admin/loglevel", R"({"level":"info"})").status == 401u);
  BOOST_TEST(call("POST", "/v3/admin/loglevel", R"({"level":"info"})", "Bearer r3ad").status == 200u);
}

BOOST_AUTO_TEST_CASE(metrics_token_is_what_metrics_needs_and_admin_token_reads_too) {
  cfg.warren.read_token = "r3ad";
  cfg.warren.metrics_token = "scr4pe";
  cfg.warren.admin_token = "adm1n";
  BOOST_TEST(call("GET", "/metrics", "", "Bearer scr4pe").status == 200u);
  BOOST_TEST(call("GET", "/metrics", "", "Bearer r3ad").status == 401u);
  BOOST_TEST(call("GET", "/metrics", "", "Bearer adm1n").status == 200u);
  BOOST_TEST(call("GET", "/v3/kafka", "", "Bearer scr4pe").status == 401u);
  BOOST_TEST(call("GET", "/v3/kafka", "", "Bearer adm1n").status == 200u);
  auto w = call("POST", "/v3/admin/loglevel", R"({"level":"info"})", "Bearer r3ad");
  BOOST_TEST(w.status == 401u);
  BOOST_TEST(std::string_view(body_of(w).at("message").as_string()) == "admin token required");
  // No secret in the configuration answer.
  auto c = call("GET", "/v3/config", "", "Bearer adm1n");
  BOOST_TEST(c.status == 200u);
  for (const char* secret : {"r3ad", "scr4pe", "adm1n"}) BOOST_TEST(c.body.find(secret) == std::string::npos, secret);
}

BOOST_AUTO_TEST_SUITE_END()

// /v3/config/notifier/:name never shows a secret: passwords, `extras` values, `headers` values
// (Authorization, X-Api-Key), credentials in url-open/url-close (userinfo, secret-looking query
// parameters, a Slack webhook's path); and the alertmanager class renders its own settings.
BOOST_FIXTURE_TEST_SUITE(http_api_v3_notifier_secrets, api_fixture)

namespace {
const char* const secrets[] = {"hunter2", "s3cr3t-token", "api-key-123", "bearer-xyz", "qs-token-9",
                               "T000/B000/slackpath", "tok-in-user"};

void expect_no_secret(const std::string& body) {
  for (const char* s : secrets) BOOST_TEST(body.find(s) == std::string::npos, s << " leaked in " << body);
}

notifier_module with_secrets(const std::string& class_name) {
  notifier_module n;
  n.name = class_name;
  n.class_name = class_name;
  n.template_open = "open.tmpl";
  n.template_close = "close.tmpl";
  n.send_close = true;
  n.username = "alice";
  n.password = "hunter2";
  n.extras = {{"api_key", "api-key-123"}, {"app", "payments"}};
  n.headers = {{"Authorization", "Bearer bearer-xyz"}, {"X-Api-Key", "s3cr3t-token"}};
  return n;
}
}  // namespace

BOOST_AUTO_TEST_CASE(http_notifier_hides_passwords_extras_headers_and_url_credentials) {
  auto n = with_secrets("http");
  n.url_open = "https://alice:hunter2@alerts.example.com:8443/open/{{.Group}}?team=ops&token=qs-token-9#x";
  n.url_close = "https://tok-in-user@alerts.example.com/close/{{.Group}}";
  cfg.notifiers["web"] = n;
  auto r = call("GET", "/v3/config/notifier/web");
  BOOST_TEST(r.status == 200u);
  expect_no_secret(r.body);
  auto m = body_of(r).at("module").as_object();
  BOOST_TEST(m.at("url-open").as_string() ==
             "https://REDACTED@alerts.example.com:8443/open/{{.Group}}?team=ops&token=REDACTED#x");
  BOOST_TEST(m.at("url-close").as_string() == "https://REDACTED@alerts.example.com/close/{{.Group}}");
  BOOST_TEST(m.at("extra").as_object().at("api_key").as_string() == "REDACTED");
  BOOST_TEST(m.at("extra").as_object().at("app").as_string() == "REDACTED");
  BOOST_TEST(!m.contains("password"));
  BOOST_TEST(!m.contains("headers"));
  BOOST_TEST(m.at("method-open").as_string() == "POST");
}

BOOST_AUTO_TEST_CASE(urls_without_credentials_are_shown_as_configured) {
  auto n = with_secrets("http");
  n.url_open = "http://127.0.0.1:9/open/{{.Group}}?cluster={{.Cluster}}";
  n.url_close = "";
  cfg.notifiers["web"] = n;
  auto m = body_of(call("GET", "/v3/config/notifier/web")).at("module").as_object();
  BOOST_TEST(m.at("url-open").as_string() == "http://127.0.0.1:9/open/{{.Group}}?cluster={{.Cluster}}");
  BOOST_TEST(m.at("url-close").as_string() == "");
  // An at-sign in the path or the query is not userinfo.
  n.url_open = "http://h/open/a@b?to=x@y";
  cfg.notifiers["web"] = n;
  m = body_of(call("GET", "/v3/config/notifier/web")).at("module").as_object();
  BOOST_TEST(m.at("url-open").as_string() == "http://h/open/a@b?to=x@y");
}

BOOST_AUTO_TEST_CASE(slack_webhook_paths_are_credentials) {
  auto n = with_secrets("http");
  n.url_open = "https://hooks.slack.com/services/T000/B000/slackpath";
  cfg.notifiers["chat"] = n;
  auto r = call("GET", "/v3/config/notifier/chat");
  expect_no_secret(r.body);
  BOOST_TEST(body_of(r).at("module").as_object().at("url-open").as_string() ==
             "https://hooks.slack.com/services/REDACTED");
}

BOOST_AUTO_TEST_CASE(email_notifier_shows_the_user_but_never_the_password) {
  auto n = with_secrets("email");
  n.server = "smtp.example.com";
  n.port = 587;
  n.auth_type = "plain";
  n.from = "warren@example.com";
  n.to = "ops@example.com";
  cfg.notifiers["mail"] = n;
  auto r = call("GET", "/v3/config/notifier/mail");
  expect_no_secret(r.body);
  auto m = body_of(r).at("module").as_object();
  BOOST_TEST(m.at("class-name").as_string() == "email");
  BOOST_TEST(m.at("username").as_string() == "alice");
  BOOST_TEST(m.at("port").as_int64() == 587);
  BOOST_TEST(!m.contains("password"));
}

BOOST_AUTO_TEST_CASE(alertmanager_notifier_renders_its_class) {
  auto n = with_secrets("alertmanager");
  n.url_open = "https://alice:hunter2@am.example.com/api/v2/alerts";
  n.send_interval = std::chrono::seconds(300);
  n.cluster = "local";
  n.group_denylist = "^quick-";
  cfg.notifiers["am"] = n;
  auto r = call("GET", "/v3/config/notifier/am");
  BOOST_TEST(r.status == 200u);
  expect_no_secret(r.body);
  auto m = body_of(r).at("module").as_object();
  BOOST_TEST(m.at("class-name").as_string() == "alertmanager");
  BOOST_TEST(m.at("url-open").as_string() == "https://REDACTED@am.example.com/api/v2/alerts");
  BOOST_TEST(m.at("send-interval").as_int64() == 300);
  BOOST_TEST(m.at("send-close").as_bool());
  BOOST_TEST(m.at("cluster").as_string() == "local");
  BOOST_TEST(m.at("group-denylist").as_string() == "^quick-");
  BOOST_TEST(m.at("template-open").as_string() == "open.tmpl");
  BOOST_TEST(m.at("timeout").as_int64() == 5);
  BOOST_TEST(m.at("extra").as_object().at("api_key").as_string() == "REDACTED");
  BOOST_TEST(!m.contains("method-open"));  // always POST to /api/v2/alerts
  BOOST_TEST(!m.contains("password"));
  BOOST_TEST(!m.contains("headers"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace warren::http
