// Burrow's HTTP API v3 shapes, endpoint by endpoint, from a running Warren on a real broker:
// every live response is validated against proto/http/openapi.yaml (closed objects, every field
// required, messages as constants), and Burrow's quirks are checked by value: `current-lag` versus
// `current_lag`, the request object, the 404 bodies, NOTFOUND with HTTP 404 and error false, the
// text/plain catch-all, 405 with Allow, DELETE always 200, the log level endpoints, CORS, the admin
// token, the body limit, percent-encoded group names (request.url echoes the decoded path), the
// admin endpoints' content type, the zookeeper block, /v3/health, and a consumer list that only
// names groups whose detail answers.
//
// With WARREN_CAPTURE_EXAMPLES=DIR set, each endpoint's live body is also written to
// DIR/http-<name>.json: that is how proto/examples/ is produced (never by hand).
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>

// The encoder moves from service/offsets/ to tests/support/ (in flight): either location builds.
#include "tests/support/offsets_encode.hpp"
#include "tests/integration/openapi_check.hpp"
#include "service/core/clock.hpp"
#include "tests/support/json_helpers.hpp"
#include "tests/support/offsets_records.hpp"
#include "tests/support/kafka_harness.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/poll_until.hpp"
#include "tests/support/test_clients.hpp"
#include "tests/support/warren_process.hpp"

using namespace warren::test;
using namespace std::chrono_literals;
using warren::poll_until;
namespace wo = warren::offsets;
namespace json = boost::json;

namespace {

constexpr const char* offsets_topic = "shape-offsets";
constexpr const char* odd_group = "team/a b%c";       // needs percent-encoding in a path
constexpr const char* odd_group_path = "team%2Fa%20b%25c";
constexpr const char* owners_only_group = "shape-owners-only";  // group metadata, never a commit
constexpr const char* catch_all_body = "{\"error\":true,\"message\":\"invalid request type\",\"result\":{}}\n";

std::int64_t wall_ms() { return warren::wall_now_ms(); }

raw_record commit(const std::string& group, const std::string& topic, int partition, std::int64_t offset,
                  std::int64_t ts) {
  return commit_record(group, topic, partition, offset, ts);
}

// A classic group's metadata: one member owning orders/0 (so owner and client_id are filled there).
raw_record membership(const std::string& group, std::int64_t ts) {
  wo::group_metadata g;
  g.group = group;
  g.value_version = 3;
  g.protocol_type = "consumer";
  g.generation = 1;
  g.protocol = "range";
  g.leader = "member-1";
  g.current_state_timestamp = ts;
  wo::member m;
  m.member_id = "member-1";
  m.client_id = "shape-client";
  m.client_host = "/127.0.0.1";
  m.rebalance_timeout = 300000;
  m.session_timeout = 45000;
  m.assignment_version = 0;
  m.assignment = {wo::topic_assignment{"orders", {0}}};
  g.members.push_back(std::move(m));
  return to_raw(wo::encode(g));
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

// Notifier templates are parsed at config load: Warren's shipped ones, by absolute path.
std::string notifiers_toml() {
  const std::string t = source_dir() + "/config/templates/";
  return R"(
[notifier.web]
class-name = "http"
url-open = "http://127.0.0.1:9/open"
url-close = "http://127.0.0.1:9/close"
template-open = ")" + t + R"(http-open.tmpl"
template-close = ")" + t + R"(http-close.tmpl"
extras = { api_key = "s3cret", app = "warren" }
password = "hidden"

[notifier.mail]
class-name = "email"
server = "127.0.0.1"
port = 2525
from = "warren@example.com"
to = "ops@example.com"
template-open = ")" + t + R"(email-open.tmpl"
send-close = false

[notifier.quiet]
class-name = "null"
)";
}

struct shapes_env {
  kafka_cluster kafka;
  std::int64_t t0 = wall_ms();
  std::unique_ptr<warren_process> w;       // Burrow's defaults: no CORS, no token
  std::unique_ptr<warren_process> locked;  // CORS origin and admin token set
  openapi_spec spec{std::filesystem::path(source_dir()) / "proto/http/openapi.yaml"};
  std::string host = host_name();

  shapes_env() {
    kafka.create_topic("orders", 2);
    kafka.create_topic(offsets_topic, 1);
    producer p(kafka.bootstrap());
    p.produce("orders", 0, 10);
    p.produce("orders", 1, 5);
    const std::int64_t hour = 3600 * 1000;
    raw_producer raw(kafka.bootstrap());
    std::vector<raw_record> r{membership("shape-group", t0), membership(owners_only_group, t0)};
    for (int i = 0; i < 5; ++i) r.push_back(commit("shape-group", "orders", 0, 2 * (i + 1), t0 - hour + i * hour / 4));
    r.push_back(commit("shape-stopped", "orders", 0, 3, t0 - 2 * hour));
    r.push_back(commit("shape-stopped", "orders", 0, 4, t0 - 2 * hour + 10000));
    r.push_back(commit(odd_group, "orders", 1, 5, t0));
    r.push_back(commit("doomed", "orders", 1, 5, t0));
    raw.send(offsets_topic, 0, r);
    const std::string base = cluster_config("local", kafka.bootstrap(), offsets_topic) +
                             "[storage.default]\nintervals = 5\n" + notifiers_toml();
    // Two processes side by side: no PID file (the default burrow.pid would collide).
    w = std::make_unique<warren_process>("[general]\npidfile = \"\"\n\n" + base +
                                         "\n[warren]\neval-interval = 1\ncoalesce-ms = 50\n");
    locked = std::make_unique<warren_process>(
        "[general]\npidfile = \"\"\naccess-control-allow-origin = \"https://dash.example.com\"\n\n" + base +
        "\n[warren]\neval-interval = 1\nadmin-token = \"t0ken\"\n");
    // Everything written above is visible before the shape checks start.
    for (auto* proc : {w.get(), locked.get()}) {
      bool ready = poll_until(
          [&] {
            auto lag = parse_json(proc->get("/v3/kafka/local/consumer/shape-stopped/lag").body);
            return proc->get("/burrow/admin/ready").status == 200 &&
                   str(at(lag, {"status", "status"})) == "ERR" &&
                   proc->get(std::string("/v3/kafka/local/consumer/") + odd_group_path + "/lag").status == 200 &&
                   proc->get("/v3/kafka/local/consumer/doomed/lag").status == 200 &&
                   !str(at(parse_json(proc->get("/v3/kafka/local/consumer/shape-group").body),
                           {"topics", "orders", 0, "owner"}))
                        .empty();
          },
          60s, 100ms);
      if (!ready) throw std::runtime_error("warren did not ingest the shape fixtures:\n" + proc->output());
    }
  }
};

shapes_env* env = nullptr;
struct shapes_fixture {
  void setup() { env = new shapes_env(); }
  void teardown() {
    delete env;
    env = nullptr;
  }
};

live_response call(const warren_process& proc, const std::string& method, const std::string& path,
                   const std::string& body = {}, const std::map<std::string, std::string>& headers = {}) {
  auto r = http_call(proc.port(), method, path, body, headers);
  auto ct = r.headers.find("content-type");
  return live_response{method, path, r.status, ct == r.headers.end() ? "" : ct->second, r.body};
}

void capture(const std::string& name, const live_response& r) {
  const char* dir = std::getenv("WARREN_CAPTURE_EXAMPLES");
  if (!dir || !*dir) return;
  const bool is_json = r.content_type.rfind("application/json", 0) == 0;
  std::ofstream(std::filesystem::path(dir) / ("http-" + name + (is_json ? ".json" : ".txt"))) << r.body
                                                                                              << (is_json ? "\n" : "");
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& e : v) s += "\n  " + e;
  return s;
}

struct endpoint_case {
  std::string name;  // example file: http-<name>.json
  std::string method;
  std::string path;
  unsigned status;
  std::string error_message;  // for error bodies: the exact `message`
  std::string body = {};
};

}  // namespace

BOOST_AUTO_TEST_SUITE(api_shapes, *boost::unit_test::fixture<shapes_fixture>())

BOOST_AUTO_TEST_CASE(every_endpoint_answers_as_the_spec_says) {
  const std::vector<endpoint_case> cases{
      {"admin", "GET", "/burrow/admin", 200, ""},
      {"admin-ready", "GET", "/burrow/admin/ready", 200, ""},
      {"metrics", "GET", "/metrics", 200, ""},
      {"clusters", "GET", "/v3/kafka", 200, ""},
      {"cluster", "GET", "/v3/kafka/local", 200, ""},
      {"cluster-not-found", "GET", "/v3/kafka/nope", 404, "cluster module not found"},
      {"topics", "GET", "/v3/kafka/local/topic", 200, ""},
      {"topics-not-found", "GET", "/v3/kafka/nope/topic", 404, "cluster not found"},
      {"topic", "GET", "/v3/kafka/local/topic/orders", 200, ""},
      {"topic-not-found", "GET", "/v3/kafka/local/topic/nope", 404, "cluster or topic not found"},
      {"topic-consumers", "GET", "/v3/kafka/local/topic/orders/consumers", 200, ""},
      {"topic-consumers-unknown-topic", "GET", "/v3/kafka/local/topic/nope/consumers", 200, ""},
      {"topic-consumers-not-found", "GET", "/v3/kafka/nope/topic/orders/consumers", 404, "cluster not found"},
      {"consumers", "GET", "/v3/kafka/local/consumer", 200, ""},
      {"consumers-not-found", "GET", "/v3/kafka/nope/consumer", 404, "cluster not found"},
      {"consumer", "GET", "/v3/kafka/local/consumer/shape-group", 200, ""},
      {"consumer-not-found", "GET", "/v3/kafka/local/consumer/ghost", 404, "cluster or consumer not found"},
      {"consumer-status", "GET", "/v3/kafka/local/consumer/shape-stopped/status", 200, ""},
      {"consumer-lag", "GET", "/v3/kafka/local/consumer/shape-group/lag", 200, ""},
      {"consumer-status-notfound", "GET", "/v3/kafka/local/consumer/ghost/status", 404, ""},
      {"consumer-lag-notfound", "GET", "/v3/kafka/nope/consumer/ghost/lag", 404, ""},
      {"config", "GET", "/v3/config", 200, ""},
      {"health", "GET", "/v3/health", 200, ""},
      {"config-storage-list", "GET", "/v3/config/storage", 200, ""},
      {"config-evaluator-list", "GET", "/v3/config/evaluator", 200, ""},
      {"config-cluster-list", "GET", "/v3/config/cluster", 200, ""},
      {"config-consumer-list", "GET", "/v3/config/consumer", 200, ""},
      {"config-notifier-list", "GET", "/v3/config/notifier", 200, ""},
      {"config-storage", "GET", "/v3/config/storage/default", 200, ""},
      {"config-storage-not-found", "GET", "/v3/config/storage/nope", 404, "storage module not found"},
      {"config-evaluator", "GET", "/v3/config/evaluator/default", 200, ""},
      {"config-evaluator-not-found", "GET", "/v3/config/evaluator/nope", 404, "evaluator module not found"},
      {"config-cluster", "GET", "/v3/config/cluster/local", 200, ""},
      {"config-cluster-not-found", "GET", "/v3/config/cluster/nope", 404, "cluster module not found"},
      {"config-consumer", "GET", "/v3/config/consumer/local", 200, ""},
      {"config-consumer-not-found", "GET", "/v3/config/consumer/nope", 404, "consumer module not found"},
      {"config-notifier-http", "GET", "/v3/config/notifier/web", 200, ""},
      {"config-notifier-email", "GET", "/v3/config/notifier/mail", 200, ""},
      {"config-notifier-null", "GET", "/v3/config/notifier/quiet", 200, ""},
      {"config-notifier-not-found", "GET", "/v3/config/notifier/nope", 404, "notifier module not found"},
      {"loglevel", "GET", "/v3/admin/loglevel", 200, ""},
      {"loglevel-set", "POST", "/v3/admin/loglevel", 200, "", R"({"level":"DEBUG"})"},
      {"loglevel-set-bad-body", "POST", "/v3/admin/loglevel", 400, "could not decode message body", "{level"},
      {"loglevel-set-unknown", "POST", "/v3/admin/loglevel", 404, "unknown log level", R"({"level":"verbose"})"},
      {"loglevel-restore", "POST", "/v3/admin/loglevel", 200, "", R"({"level":"info"})"},
      {"consumer-delete-unknown", "DELETE", "/v3/kafka/local/consumer/never-existed", 200, ""},
      {"consumer-topic-delete-unknown", "DELETE", "/v3/kafka/nope/consumer/never/topic/none", 200, ""},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.method << " " << c.path) {
      auto r = call(*env->w, c.method, c.path, c.body);
      BOOST_TEST(r.status == c.status, r.body);
      auto problems = env->spec.check(r);
      BOOST_TEST(problems.empty(), joined(problems));
      if (r.content_type.rfind("application/json", 0) == 0) {
        auto v = parse_json(r.body);
        BOOST_TEST(str(at(v, {"request", "url"})) == c.path);
        BOOST_TEST(str(at(v, {"request", "host"})) == env->host);
        BOOST_TEST(at(v, {"error"}) == json::value(!c.error_message.empty()));
        if (!c.error_message.empty()) BOOST_TEST(str(at(v, {"message"})) == c.error_message);
        // Burrow sets no CORS header unless configured.
        BOOST_TEST(http_call(env->w->port(), "GET", "/v3/kafka").headers.count("access-control-allow-origin") == 0u);
      }
      capture(c.name, r);
    }
  }
}

BOOST_AUTO_TEST_CASE(burrow_field_names_and_values) {
  auto& w = *env->w;
  // Consumer detail: `current-lag` with a hyphen, `intervals` slots with leading nulls, [] for a
  // never-committed partition, owner from group metadata.
  auto d = parse_json(w.get("/v3/kafka/local/consumer/shape-group").body);
  auto p0 = at(d, {"topics", "orders", 0});
  BOOST_TEST(p0.as_object().contains("current-lag"), d);
  BOOST_TEST(!p0.as_object().contains("current_lag"));
  BOOST_TEST(str(at(p0, {"owner"})) == "/127.0.0.1");
  BOOST_TEST(str(at(p0, {"client_id"})) == "shape-client");
  BOOST_TEST(at(p0, {"offsets"}).as_array().size() == 5u);
  BOOST_TEST(at(d, {"topics", "orders", 1, "offsets"}).as_array().empty());
  BOOST_TEST(str(at(d, {"topics", "orders", 1, "owner"})).empty());
  auto stopped = parse_json(w.get("/v3/kafka/local/consumer/shape-stopped").body);
  BOOST_TEST(at(stopped, {"topics", "orders", 0, "offsets", 0}).is_null(), stopped);
  BOOST_TEST(num(at(stopped, {"topics", "orders", 0, "offsets", 4, "offset"})) == 4);

  // Status: `current_lag` with an underscore; never-committed partitions have null start/end.
  auto lag = parse_json(w.get("/v3/kafka/local/consumer/shape-group/lag").body);
  BOOST_TEST(str(at(lag, {"status", "cluster"})) == "local");
  BOOST_TEST(str(at(lag, {"status", "group"})) == "shape-group");
  BOOST_TEST(at(lag, {"status", "partitions", 0}).as_object().contains("current_lag"), lag);
  BOOST_TEST(!at(lag, {"status", "partitions", 0}).as_object().contains("current-lag"));
  BOOST_TEST(at(lag, {"status", "partitions", 1, "start"}).is_null());
  BOOST_TEST(at(lag, {"status", "partitions", 1, "end"}).is_null());
  BOOST_TEST(num(at(lag, {"status", "partition_count"})) == 2);

  // /status keeps only non-OK partitions but the full maxlag and totallag.
  auto st = parse_json(w.get("/v3/kafka/local/consumer/shape-stopped/status").body);
  BOOST_TEST(str(at(st, {"status", "status"})) == "ERR", st);
  BOOST_TEST(at(st, {"status", "partitions"}).as_array().size() == 1u);
  BOOST_TEST(str(at(st, {"status", "partitions", 0, "status"})) == "STOP");
  BOOST_TEST(str(at(st, {"status", "maxlag", "status"})) == "STOP");
  BOOST_TEST(num(at(st, {"status", "totallag"})) == 6);

  // Unknown group: HTTP 404, error false, the NOTFOUND status echoing cluster and group.
  auto ghost = w.get("/v3/kafka/local/consumer/ghost/lag");
  BOOST_TEST(ghost.status == 404u);
  auto g = parse_json(ghost.body);
  BOOST_TEST(at(g, {"error"}) == json::value(false));
  BOOST_TEST(str(at(g, {"message"})) == "consumer status returned");
  BOOST_TEST(json::serialize(at(g, {"status"})) ==
                 R"({"cluster":"local","group":"ghost","status":"NOTFOUND","complete":1,"partitions":[],)"
                 R"("partition_count":0,"maxlag":null,"totallag":0})",
             ghost.body);

  // Secrets never appear in /v3/config.
  auto notifier = w.get("/v3/config/notifier/web").body;
  BOOST_TEST(notifier.find("s3cret") == std::string::npos, notifier);
  BOOST_TEST(notifier.find("hidden") == std::string::npos, notifier);
  BOOST_TEST(str(at(parse_json(notifier), {"module", "extra", "api_key"})) == "REDACTED");

  // The log level set through POST is what GET returns.
  BOOST_TEST(http_call(w.port(), "POST", "/v3/admin/loglevel", R"({"level":"warning"})").status == 200u);
  BOOST_TEST(str(at(parse_json(w.get("/v3/admin/loglevel").body), {"level"})) == "warn");
  BOOST_TEST(http_call(w.port(), "POST", "/v3/admin/loglevel", R"({"level":"info"})").status == 200u);
}

BOOST_AUTO_TEST_CASE(group_names_with_slash_percent_and_space_are_addressed_percent_encoded) {
  auto& w = *env->w;
  BOOST_TEST(contains_string(at(parse_json(w.get("/v3/kafka/local/consumer").body), {"consumers"}), odd_group));
  const std::string base = std::string("/v3/kafka/local/consumer/") + odd_group_path;
  for (const std::string suffix : {"", "/status", "/lag"}) {
    auto r = call(w, "GET", base + suffix);
    BOOST_TEST(r.status == 200u, suffix << ": " << r.body);
    BOOST_TEST(env->spec.check(r).empty(), joined(env->spec.check(r)));
    auto v = parse_json(r.body);
    // Burrow echoes Go's r.URL.Path: the decoded path.
    BOOST_TEST(str(at(v, {"request", "url"})) == std::string("/v3/kafka/local/consumer/") + odd_group + suffix);
    if (!suffix.empty()) BOOST_TEST(str(at(v, {"status", "group"})) == odd_group);
  }
  auto topic_consumers = parse_json(w.get("/v3/kafka/local/topic/orders/consumers").body);
  BOOST_TEST(contains_string(at(topic_consumers, {"consumers"}), odd_group));
  // Malformed percent-encoding is a client error, not a lookup of a strange name.
  BOOST_TEST(w.get("/v3/kafka/local/consumer/bad%zzname").status == 400u);
  // Errors echo the decoded path too.
  auto missing = call(w, "GET", "/v3/kafka/local/consumer/no%20such%2Fgroup");
  BOOST_TEST(missing.status == 404u);
  BOOST_TEST(str(at(parse_json(missing.body), {"request", "url"})) == "/v3/kafka/local/consumer/no such/group");
}

BOOST_AUTO_TEST_CASE(every_listed_group_answers_its_detail) {
  auto& w = *env->w;
  // The owners-only group's metadata was read with the other fixtures (same offsets partition,
  // earlier records), yet it has no commit: Burrow lists such a group and then answers 404 for
  // it; Warren lists only groups whose detail answers.
  const auto consumers = at(parse_json(w.get("/v3/kafka/local/consumer").body), {"consumers"}).as_array();
  BOOST_TEST(!consumers.empty());
  for (const auto& g : consumers) {
    const std::string name(g.as_string());
    std::string encoded;
    for (unsigned char ch : name) {
      static constexpr char hex[] = "0123456789ABCDEF";
      if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.') encoded += static_cast<char>(ch);
      else encoded += {'%', hex[ch >> 4], hex[ch & 15]};
    }
    BOOST_TEST(w.get("/v3/kafka/local/consumer/" + encoded).status == 200u, name);
  }
  BOOST_TEST(!contains_string(at(parse_json(w.get("/v3/kafka/local/consumer").body), {"consumers"}), owners_only_group));
  BOOST_TEST(!contains_string(at(parse_json(w.get("/v3/kafka/local/topic/orders/consumers").body), {"consumers"}),
                              owners_only_group));
  BOOST_TEST(w.get(std::string("/v3/kafka/local/consumer/") + owners_only_group).status == 404u);
  BOOST_TEST(w.get(std::string("/v3/kafka/local/consumer/") + owners_only_group + "/lag").status == 404u);
}

BOOST_AUTO_TEST_CASE(admin_endpoints_zookeeper_block_and_health_like_the_reference) {
  auto& w = *env->w;
  for (const std::string path : {"/burrow/admin", "/burrow/admin/ready"}) {
    auto r = call(w, "GET", path);
    BOOST_TEST(r.status == 200u, path);
    BOOST_TEST(r.content_type == "text/plain; charset=utf-8", path);
  }
  // Notifiers are configured, so Burrow's zookeeper coordinator sets its defaults; no servers is
  // Go's nil slice.
  auto cfg = parse_json(w.get("/v3/config").body);
  BOOST_TEST(json::serialize(at(cfg, {"zookeeper"})) == R"({"servers":null,"timeout":6,"root-path":"/burrow"})");
  // Everything ingested and the cluster reachable: ok, 200.
  auto h = call(w, "GET", "/v3/health");
  BOOST_TEST(h.status == 200u, h.body);
  BOOST_TEST(env->spec.check(h).empty(), joined(env->spec.check(h)));
  auto v = parse_json(h.body);
  BOOST_TEST(str(at(v, {"status"})) == "ok", h.body);
  BOOST_TEST(at(v, {"clusters", "local", "reachable"}) == json::value(true));
  BOOST_TEST(at(v, {"clusters", "local", "offsets_caught_up"}) == json::value(true));
  BOOST_TEST(num(at(v, {"clusters", "local", "replay_percent"})) == 100);
  // Fresh data: status answers are Burrow's bytes, no `warren` object.
  BOOST_TEST(!parse_json(w.get("/v3/kafka/local/consumer/shape-group/lag").body).as_object().contains("warren"));
  BOOST_TEST(!parse_json(w.get("/v3/kafka/local/consumer/shape-group").body).as_object().contains("warren"));
  // The test-only fault endpoint does not exist without WARREN_FAULT_INJECTION.
  auto fault = call(w, "POST", "/v3/admin/fault/offsets_reader/local");
  BOOST_TEST(fault.status == 404u);
  BOOST_TEST(fault.body == catch_all_body);
}

BOOST_AUTO_TEST_CASE(unknown_routes_get_the_text_plain_catch_all) {
  for (const std::string path : {"/dashboard", "/v2/kafka", "/v3/kafka/local/consumer/shape-group/extra/deep", "/v3//kafka",
                                 "/v3/kafka/local/nothing/"}) {
    auto r = call(*env->locked, "GET", path);
    BOOST_TEST(r.status == 404u, path);
    BOOST_TEST(r.body == catch_all_body, path << ": " << r.body);
    BOOST_TEST(r.content_type.rfind("text/plain", 0) == 0u, r.content_type);
    BOOST_TEST(env->spec.check_component("CatchAll", r).empty(), joined(env->spec.check_component("CatchAll", r)));
    // Burrow sets no CORS header on the catch-all.
    BOOST_TEST(http_call(env->locked->port(), "GET", path).headers.count("access-control-allow-origin") == 0u);
  }
}

BOOST_AUTO_TEST_CASE(trailing_slash_redirects_like_burrow) {
  auto get = call(*env->w, "GET", "/v3/kafka/local/consumer/?x=1");
  BOOST_TEST(get.status == 301u, get.body);
  BOOST_TEST(http_call(env->w->port(), "GET", "/v3/kafka/").headers["location"] == "/v3/kafka");
  BOOST_TEST(http_call(env->w->port(), "GET", "/v3/kafka/local/consumer/?x=1").headers["location"] ==
             "/v3/kafka/local/consumer?x=1");
  BOOST_TEST(env->spec.check_component("TrailingSlashRedirect", get).empty(),
             joined(env->spec.check_component("TrailingSlashRedirect", get)));
  auto del = http_call(env->w->port(), "DELETE", "/v3/kafka/local/consumer/never-existed/");
  BOOST_TEST(del.status == 307u, del.body);
  BOOST_TEST(del.headers["location"] == "/v3/kafka/local/consumer/never-existed");
}

BOOST_AUTO_TEST_CASE(wrong_method_gets_405_with_allow) {
  auto& w = *env->w;
  auto r = http_call(w.port(), "POST", "/v3/kafka");
  BOOST_TEST(r.status == 405u, r.body);
  BOOST_TEST(r.headers["allow"].find("GET") != std::string::npos, r.headers["allow"]);
  auto lr = call(w, "POST", "/v3/kafka");
  BOOST_TEST(env->spec.check_component("MethodNotAllowed", lr).empty(),
             joined(env->spec.check_component("MethodNotAllowed", lr)));
  BOOST_TEST(str(at(parse_json(r.body), {"request", "url"})) == "/v3/kafka");
  auto both = http_call(w.port(), "PUT", "/v3/kafka/local/consumer/shape-group");
  BOOST_TEST(both.status == 405u);
  BOOST_TEST(both.headers["allow"].find("GET") != std::string::npos, both.headers["allow"]);
  BOOST_TEST(both.headers["allow"].find("DELETE") != std::string::npos, both.headers["allow"]);
  // OPTIONS is answered like Burrow's router does: 200 with the Allow header.
  auto options = http_call(w.port(), "OPTIONS", "/v3/kafka/local/consumer/shape-group");
  BOOST_TEST(options.status == 200u, options.body);
  BOOST_TEST(options.headers["allow"].find("DELETE") != std::string::npos, options.headers["allow"]);
}

BOOST_AUTO_TEST_CASE(oversized_body_gets_413) {
  auto r = call(*env->w, "POST", "/v3/admin/loglevel", std::string(100 * 1024, 'x'));
  BOOST_TEST(r.status == 413u, r.body);
  BOOST_TEST(env->spec.check_component("PayloadTooLarge", r).empty(),
             joined(env->spec.check_component("PayloadTooLarge", r)));
  BOOST_TEST(env->w->get("/burrow/admin").body == "GOOD");  // the server is fine
}

BOOST_AUTO_TEST_CASE(cors_header_when_configured) {
  auto& l = *env->locked;
  for (const std::string path : {"/v3/kafka", "/v3/kafka/local/consumer/shape-group/lag", "/v3/kafka/nope",
                                 "/v3/kafka/local/consumer/ghost/status", "/burrow/admin", "/burrow/admin/ready"}) {
    auto r = http_call(l.port(), "GET", path);
    BOOST_TEST(r.headers["access-control-allow-origin"] == "https://dash.example.com", path);
  }
  BOOST_TEST(http_call(l.port(), "GET", "/metrics").headers.count("access-control-allow-origin") == 0u);
  auto cfg = parse_json(l.get("/v3/config").body);
  BOOST_TEST(str(at(cfg, {"general", "access-control-allow-origin"})) == "https://dash.example.com");
  BOOST_TEST(l.get("/v3/config").body.find("t0ken") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(admin_token_guards_delete_and_log_level) {
  auto& l = *env->locked;
  const std::map<std::string, std::string> good{{"Authorization", "Bearer t0ken"}};
  const std::map<std::string, std::string> bad{{"Authorization", "Bearer nope"}};
  for (const auto& [method, path, body] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"DELETE", "/v3/kafka/local/consumer/doomed", ""},
           {"DELETE", "/v3/kafka/local/consumer/doomed/topic/orders", ""},
           {"POST", "/v3/admin/loglevel", R"({"level":"info"})"}}) {
    for (const auto* headers : {static_cast<const std::map<std::string, std::string>*>(nullptr), &bad}) {
      auto r = call(l, method, path, body, headers ? *headers : std::map<std::string, std::string>{});
      BOOST_TEST(r.status == 401u, method << " " << path << ": " << r.body);
      BOOST_TEST(env->spec.check(r).empty(), joined(env->spec.check(r)));
      BOOST_TEST(str(at(parse_json(r.body), {"message"})) == "admin token required");
    }
  }
  BOOST_TEST(l.get("/v3/kafka/local/consumer/doomed/lag").status == 200u);  // nothing was deleted
  BOOST_TEST(l.get("/v3/admin/loglevel").status == 200u);                    // reads stay open
  auto r = call(l, "DELETE", "/v3/kafka/local/consumer/doomed", "", good);
  BOOST_TEST(r.status == 200u, r.body);
  BOOST_TEST(str(at(parse_json(r.body), {"message"})) == "consumer group removed");
  BOOST_TEST(poll_until([&] { return l.get("/v3/kafka/local/consumer/doomed/lag").status == 404u; }, 10s));
}

BOOST_AUTO_TEST_CASE(delete_removes_a_group_and_always_answers_200) {
  auto& w = *env->w;
  auto r = call(w, "DELETE", "/v3/kafka/local/consumer/shape-stopped/topic/orders");
  BOOST_TEST(r.status == 200u, r.body);
  BOOST_TEST(env->spec.check(r).empty(), joined(env->spec.check(r)));
  capture("consumer-topic-delete", r);
  // Its only topic is gone, so the group is gone.
  BOOST_TEST(poll_until([&] { return w.get("/v3/kafka/local/consumer/shape-stopped").status == 404u; }, 10s));
  auto d = call(w, "DELETE", std::string("/v3/kafka/local/consumer/") + odd_group_path);
  BOOST_TEST(d.status == 200u, d.body);
  BOOST_TEST(str(at(parse_json(d.body), {"message"})) == "consumer group removed");
  capture("consumer-delete", d);
  BOOST_TEST(poll_until([&] { return w.get(std::string("/v3/kafka/local/consumer/") + odd_group_path).status == 404u; },
                        10s));
  BOOST_TEST(!contains_string(at(parse_json(w.get("/v3/kafka/local/consumer").body), {"consumers"}), odd_group));
  // Deleting again: still 200.
  BOOST_TEST(call(w, "DELETE", std::string("/v3/kafka/local/consumer/") + odd_group_path).status == 200u);
}

BOOST_AUTO_TEST_CASE(spec_checker_rejects_a_wrong_shape) {
  // The checker itself: a body with a renamed field, an extra field or a wrong type fails.
  auto lag = call(*env->w, "GET", "/v3/kafka/local/consumer/shape-group/lag");
  BOOST_TEST_REQUIRE(env->spec.check(lag).empty(), joined(env->spec.check(lag)));
  auto renamed = lag;
  auto pos = renamed.body.find("\"current_lag\"");
  BOOST_TEST_REQUIRE(pos != std::string::npos);
  renamed.body.replace(pos, 13, "\"current-lag\"");
  BOOST_TEST(!env->spec.check(renamed).empty());
  auto extra = lag;
  extra.body.insert(1, "\"extra\":1,");
  BOOST_TEST(!env->spec.check(extra).empty());
  auto wrong_type = lag;
  pos = wrong_type.body.find("\"totallag\":");
  wrong_type.body.insert(pos + 11, "\"");
  wrong_type.body.insert(wrong_type.body.find('}', pos) , "\"");
  BOOST_TEST(!env->spec.check(wrong_type).empty(), wrong_type.body);
  auto undocumented = lag;
  undocumented.status = 500;
  BOOST_TEST(!env->spec.check(undocumented).empty());
  // Every path of the spec is a route Warren serves (none is a catch-all 404).
  for (const auto& p : env->spec.paths()) {
    if (p == "/v3/stream") continue;  // a WebSocket upgrade; a plain GET is the catch-all
    if (p.rfind("/v3/admin/fault/", 0) == 0) continue;  // test only: exists with WARREN_FAULT_INJECTION
    std::string concrete = p;
    const std::vector<std::pair<std::string, std::string>> params{
        {"{cluster}", "local"}, {"{topic}", "orders"}, {"{group}", "shape-group"}, {"{name}", "default"}};
    for (const auto& [from, to] : params)
      if (auto i = concrete.find(from); i != std::string::npos) concrete.replace(i, from.size(), to);
    auto r = env->w->get(concrete);
    BOOST_TEST(r.body != catch_all_body, p);
  }
}

BOOST_AUTO_TEST_SUITE_END()
