// Notifiers end to end: real consumer groups on a real broker go OK -> ERR -> OK and the real
// binary notifies real receivers on loopback (a recording HTTP server, Debian's aiosmtpd).
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <optional>
#include <thread>

#include "tests/support/http_receiver.hpp"
#include "tests/support/json_helpers.hpp"
#include "tests/support/kafka_harness.hpp"
#include "tests/support/poll_until.hpp"
#include "tests/support/test_clients.hpp"
#include "tests/support/warren_process.hpp"

using namespace warren::test;
using namespace std::chrono_literals;
using warren::poll_until;

namespace {

// Burrow-language templates of our own: every notification names its kind, group, incident and status.
const char* open_template =
    R"({"kind":"open","cluster":"{{.Cluster}}","group":"{{.Group}}","id":"{{.ID}}","status":"{{.Result.Status}}",)"
    R"("partitions":{{len .Result.Partitions}},"extra":"{{index .Extras "team"}}"})";
const char* close_template =
    R"({"kind":"close","cluster":"{{.Cluster}}","group":"{{.Group}}","id":"{{.ID}}","status":"{{.Result.Status}}"})";

struct templates {
  std::string open = write_temp_file("open.tmpl", open_template).string();
  std::string close = write_temp_file("close.tmpl", close_template).string();
};

std::string http_module(const std::string& name, const std::string& url, const templates& t,
                        const std::string& more = "") {
  return "[notifier." + name + "]\nclass-name = \"http\"\nurl-open = \"" + url + "/open/{{.Group}}\"\n" +
         "url-close = \"" + url + "/close/{{.Group}}\"\nmethod-close = \"DELETE\"\ntemplate-open = \"" + t.open +
         "\"\ntemplate-close = \"" + t.close + "\"\nsend-close = true\nsend-interval = 3600\n" +
         "extras = { team = \"payments\" }\n" + more + "\n";
}

std::string fast_config(const std::string& bootstrap, const std::string& notifiers) {
  return cluster_config("local", bootstrap) +
         "[storage.default]\nintervals = 5\n\n[warren]\neval-interval = 1\ncoalesce-ms = 50\n\n" + notifiers;
}

boost::json::value body_of(const http_receiver::request& r) { return boost::json::parse(r.body); }

std::vector<http_receiver::request> answered_ok(const http_receiver& rx) {
  std::vector<http_receiver::request> out;
  for (auto& r : rx.requests())
    if (r.answered >= 200 && r.answered < 300) out.push_back(r);
  return out;
}

// Drives group `group` OK -> ERR (STOP: its consumer dies while messages keep coming) -> OK.
struct flapping_group {
  kafka_cluster& kafka;
  std::string group, topic;
  std::optional<consumer_member> member;

  void healthy() {
    member.emplace(kafka.bootstrap(), consumer_member_options{.group = group, .topics = {topic}});
    BOOST_REQUIRE(member->wait_for_assignment(60s));
  }
  void stop_consuming() {
    member.reset();
    producer(kafka.bootstrap()).produce(topic, 0, 25);
  }
};

std::string group_status(const warren_process& w, const std::string& group) {
  auto reply = w.get("/v3/kafka/local/consumer/" + group + "/status");
  if (reply.status != 200) return "";
  return str(at(parse_json(reply.body), {"status", "status"}));
}

long long ms_between(const http_receiver::request& a, const http_receiver::request& b) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(b.at - a.at).count();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(notifier)

BOOST_AUTO_TEST_CASE(ok_err_ok_sends_one_open_and_one_close_per_module_despite_flaky_and_hung_receivers) {
  kafka_cluster kafka;
  kafka.create_topic("payments", 1);
  producer(kafka.bootstrap()).produce("payments", 0, 50);

  http_receiver good;
  // Fails the first two requests (HTTP 500), then accepts: the alert arrives once, by retrying.
  http_receiver flaky([](const http_receiver::request&, std::size_t i) {
    return http_receiver::reply{i < 2 ? 500u : 200u, false};
  });
  // Never answers: its module times out and retries, without delaying anyone else.
  http_receiver hung([](const http_receiver::request&, std::size_t) { return http_receiver::reply{0, true}; });
  templates t;
  warren_process w(fast_config(kafka.bootstrap(), http_module("good", good.url(""), t) +
                                                      http_module("flaky", flaky.url(""), t) +
                                                      http_module("hung", hung.url(""), t, "timeout = 2\n")));

  flapping_group g{kafka, "ledger", "payments", {}};
  g.healthy();
  BOOST_REQUIRE(poll_until([&] { return group_status(w, "ledger") == "OK"; }, 60s, 200ms));
  BOOST_TEST(good.count() == 0u);  // threshold 2: a healthy group sends nothing

  g.stop_consuming();
  BOOST_REQUIRE(poll_until([&] { return group_status(w, "ledger") == "ERR"; }, 90s, 200ms));
  BOOST_REQUIRE(good.wait_for(1, 30s));
  auto open = good.requests().at(0);
  BOOST_TEST(open.method == "POST");
  BOOST_TEST(open.target == "/open/ledger");
  BOOST_TEST(open.headers["content-type"] == "application/json");
  auto ob = body_of(open);
  BOOST_TEST(str(at(ob, {"kind"})) == "open");
  BOOST_TEST(str(at(ob, {"cluster"})) == "local");
  BOOST_TEST(str(at(ob, {"group"})) == "ledger");
  BOOST_TEST(str(at(ob, {"status"})) == "ERR");
  BOOST_TEST(str(at(ob, {"extra"})) == "payments");
  BOOST_TEST(num(at(ob, {"partitions"})) == 1);  // .Result lists the partitions above OK
  const std::string id = str(at(ob, {"id"}));
  BOOST_TEST(id.size() == 36u);  // a UUID

  // The flaky receiver: two failures, then the open, once.
  BOOST_REQUIRE(flaky.wait_for(3, 30s));
  // The hung receiver got the request and holds it; the API still answers meanwhile.
  BOOST_REQUIRE(hung.wait_for(1, 30s));
  BOOST_TEST(w.get("/v3/kafka/local/consumer").status == 200);

  // Recovery: a consumer catches up; the incident closes.
  g.healthy();
  BOOST_REQUIRE(poll_until([&] { return group_status(w, "ledger") == "OK"; }, 90s, 200ms));
  BOOST_REQUIRE(good.wait_for(2, 30s));
  auto close = good.requests().at(1);
  BOOST_TEST(close.method == "DELETE");
  BOOST_TEST(close.target == "/close/ledger");
  auto cb = body_of(close);
  BOOST_TEST(str(at(cb, {"kind"})) == "close");
  BOOST_TEST(str(at(cb, {"id"})) == id);  // the close names the incident the open announced
  BOOST_TEST(str(at(cb, {"status"})) == "OK");

  BOOST_REQUIRE(poll_until([&] { return answered_ok(flaky).size() == 2u; }, 30s, 100ms));
  auto fl = answered_ok(flaky);
  BOOST_TEST(str(at(body_of(fl[0]), {"kind"})) == "open");
  BOOST_TEST(str(at(body_of(fl[1]), {"kind"})) == "close");
  BOOST_TEST(flaky.requests().size() == 4u);  // 2 failures + open + close: nothing sent twice

  // Exactly one open and one close reached the healthy receiver, and /metrics agrees.
  BOOST_REQUIRE(poll_until(
      [&] {
        auto m = w.get("/metrics").body;
        return m.find("warren_notifier_sent_total{notifier=\"good\"} 2") != std::string::npos &&
               m.find("warren_notifier_sent_total{notifier=\"flaky\"} 2") != std::string::npos;
      },
      30s, 200ms));
  BOOST_TEST(good.count() == 2u);
  auto metrics = w.get("/metrics").body;
  BOOST_TEST(metrics.find("warren_notifier_retries_total{notifier=\"flaky\"} 2") != std::string::npos, metrics);
}

BOOST_AUTO_TEST_CASE(slack_class_is_a_config_error_naming_the_http_settings) {
  auto cfg = write_temp_file("warren.toml", cluster_config("local", "127.0.0.1:9") +
                                                "[notifier.chat]\nclass-name = \"slack\"\n");
  auto r = run_warren({"--check-config", "--config", cfg.string()});
  BOOST_TEST(r.exit_code == 2, r.output);
  BOOST_TEST(r.output.find("notifier.chat.class-name") != std::string::npos, r.output);
  BOOST_TEST(r.output.find("class-name = \"http\"") != std::string::npos, r.output);
  BOOST_TEST(r.output.find("slack-open.tmpl") != std::string::npos, r.output);
}

// §f on the real broker: send-interval re-notifies a group still in trouble (same incident),
// send-once sends one open per incident whatever the interval, send-close = false never closes,
// threshold 1 is Burrow's heartbeat (opens for a healthy group every send-interval, no incident).
// The heartbeat also serves as the clock for "nothing more came": after recovery the other
// modules must stay quiet while it beats twice. One module carries secrets (basic-auth password,
// an Authorization header): they reach the receiver and never the log or /v3/config.
BOOST_AUTO_TEST_CASE(send_interval_renotifies_send_once_sends_once_send_close_false_never_closes) {
  kafka_cluster kafka;
  kafka.create_topic("payments", 1);
  producer(kafka.bootstrap()).produce("payments", 0, 50);

  http_receiver repeat, once, heartbeat;
  templates t;
  auto module = [&](const std::string& name, const std::string& url, const std::string& settings) {
    return "[notifier." + name + "]\nclass-name = \"http\"\nurl-open = \"" + url + "/open/{{.Group}}\"\n" +
           "url-close = \"" + url + "/close/{{.Group}}\"\ntemplate-open = \"" + t.open + "\"\ntemplate-close = \"" +
           t.close + "\"\ninterval = 1\nextras = { team = \"payments\" }\ngroup-allowlist = \"^ledger$\"\n" +
           settings + "\n";
  };
  const std::string secret_url = "http://alerter:url-pw-77@127.0.0.1:" + std::to_string(repeat.port());
  warren_process w(fast_config(
      kafka.bootstrap(),
      module("repeat", secret_url, "send-interval = 2\nsend-close = false\nusername = \"alerter\"\n"
                                   "password = \"basic-pw-55\"\nheaders = { X-Api-Key = \"hdr-key-33\" }\n") +
          module("once", "http://bob:url-pw-88@127.0.0.1:" + std::to_string(once.port()),
                 "send-interval = 1\nsend-once = true\nsend-close = true\n") +
          module("heartbeat", heartbeat.url(""), "send-interval = 2\nthreshold = 1\n")));

  flapping_group g{kafka, "ledger", "payments", {}};
  g.healthy();
  BOOST_REQUIRE(poll_until([&] { return group_status(w, "ledger") == "OK"; }, 60s, 200ms));
  // Threshold 1: heartbeats for a healthy group, no incident (Burrow's ID is empty then).
  BOOST_REQUIRE(heartbeat.wait_for(2, 30s));
  auto beats = heartbeat.requests();
  BOOST_TEST(str(at(body_of(beats[0]), {"status"})) == "OK");
  BOOST_TEST(str(at(body_of(beats[0]), {"id"})) == "");
  BOOST_TEST(ms_between(beats[0], beats[1]) >= 1900);  // no more often than send-interval
  BOOST_TEST(repeat.count() == 0u);
  BOOST_TEST(once.count() == 0u);

  g.stop_consuming();
  BOOST_REQUIRE(poll_until([&] { return group_status(w, "ledger") == "ERR"; }, 90s, 200ms));
  // Still ERR: `repeat` is told again every send-interval, about the same incident.
  BOOST_REQUIRE_MESSAGE(repeat.wait_for(3, 60s), w.output());
  auto rr = repeat.requests();
  const std::string id = str(at(body_of(rr[0]), {"id"}));
  BOOST_TEST(id.size() == 36u);
  for (std::size_t i = 0; i < 3; ++i) {
    BOOST_TEST(str(at(body_of(rr[i]), {"kind"})) == "open");
    BOOST_TEST(str(at(body_of(rr[i]), {"id"})) == id);
    BOOST_TEST(rr[i].target == "/open/ledger");
    // The secrets do their job on the wire.
    BOOST_TEST(rr[i].headers["authorization"] == "Basic YWxlcnRlcjpiYXNpYy1wdy01NQ==");  // alerter:basic-pw-55
    BOOST_TEST(rr[i].headers["x-api-key"] == "hdr-key-33");
  }
  BOOST_TEST(ms_between(rr[0], rr[1]) >= 1900);
  BOOST_TEST(ms_between(rr[1], rr[2]) >= 1900);
  // send-once: one open for the incident, although its send-interval (1 s) passed many times.
  BOOST_REQUIRE(once.wait_for(1, 10s));
  BOOST_TEST(once.count() == 1u);
  BOOST_TEST(str(at(body_of(once.requests()[0]), {"id"})) == id);
  BOOST_TEST(once.requests()[0].headers["authorization"] == "Basic Ym9iOnVybC1wdy04OA==");  // the URL's bob:url-pw-88

  g.healthy();
  BOOST_REQUIRE(poll_until([&] { return group_status(w, "ledger") == "OK"; }, 90s, 200ms));
  BOOST_REQUIRE(once.wait_for(2, 30s));  // send-close: the incident's close
  BOOST_TEST(str(at(body_of(once.requests()[1]), {"kind"})) == "close");
  BOOST_TEST(str(at(body_of(once.requests()[1]), {"id"})) == id);
  const std::size_t repeat_after_close = repeat.count();
  const std::size_t beats_after_close = heartbeat.count();
  // Two more heartbeats (>= 2 send-intervals) later nothing else came: no close for `repeat`
  // (send-close = false) and no open either (OK is below its threshold); `once` is done.
  BOOST_REQUIRE(heartbeat.wait_for(beats_after_close + 2, 30s));
  BOOST_TEST(repeat.count() == repeat_after_close);
  for (const auto& r : repeat.requests()) BOOST_TEST(str(at(body_of(r), {"kind"})) == "open");
  BOOST_TEST(once.count() == 2u);

  // The secrets stay out of the log and the config endpoint.
  auto cfg = w.get("/v3/config/notifier/repeat").body + w.get("/v3/config/notifier/once").body;
  BOOST_TEST(cfg.find("http://REDACTED@127.0.0.1:") != std::string::npos, cfg);
  for (const char* secret : {"url-pw-77", "url-pw-88", "basic-pw-55", "hdr-key-33"}) {
    BOOST_TEST(w.output().find(secret) == std::string::npos, secret << " in the log: " << w.output());
    BOOST_TEST(cfg.find(secret) == std::string::npos, secret << " in " << cfg);
  }
}

BOOST_AUTO_TEST_SUITE_END()
