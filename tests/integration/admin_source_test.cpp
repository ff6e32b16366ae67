// The kafka-admin committed-offsets source (issue 13) on a real broker: one Warren process with
// two clusters pointing at the same broker, "topic" read from __consumer_offsets (class kafka)
// and "admin" polled through the Admin API (class kafka-admin). Real groups must give the same
// offsets, owners and statuses on both; a deleted group disappears from the admin one.
//
// With ACLs (a broker with Kafka's StandardAuthorizer, SASL PLAIN users on its SASL_PLAINTEXT
// listener; the plaintext listener that the test's own clients use is a super user): Warren users
// allowed DESCRIBE/READ on groups and DESCRIBE on topics and the cluster, one of them also READ on
// __consumer_offsets, one denied READ on it, one denied DESCRIBE on it. Class kafka consumers of
// the denied users fall back to the Admin API by themselves (one log line each) and answer exactly
// as the reader that may read the topic does, for classic groups (owners included) and a KIP-848
// group; fallback = "none" keeps the reader and reports the cluster stale with the reason.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/openapi_check.hpp"
#include "tests/support/json_helpers.hpp"
#include "tests/support/kafka_harness.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/poll_until.hpp"
#include "tests/support/test_clients.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/tls_pki.hpp"
#include "tests/support/warren_process.hpp"

using namespace warren::test;
using namespace std::chrono_literals;
using warren::poll_until;

namespace {

std::string both_config(const std::string& bootstrap) {
  return "[cluster.topic]\nclass-name = \"kafka\"\nservers = [\"" + bootstrap +
         "\"]\noffset-refresh = 1\ntopic-refresh = 2\n\n"
         "[consumer.topic]\nclass-name = \"kafka\"\ncluster = \"topic\"\n\n"
         "[cluster.admin]\nclass-name = \"kafka\"\nservers = [\"" + bootstrap +
         "\"]\noffset-refresh = 1\ntopic-refresh = 2\n\n"
         "[consumer.admin]\nclass-name = \"kafka-admin\"\ncluster = \"admin\"\noffset-refresh = 1\n"
         "group-refresh = 1\nmax-in-flight = 4\nrequest-timeout = 10\n\n"
         "[storage.default]\nintervals = 5\n\n[warren]\neval-interval = 1\ncoalesce-ms = 50\n";
}

boost::json::value lag(const warren_process& w, const std::string& cluster, const std::string& group) {
  return parse_json(w.get("/v3/kafka/" + cluster + "/consumer/" + group + "/lag").body);
}

// Per partition: "topic/p offset owner client_id status", in the answer's order, plus the group status.
std::string summary(const boost::json::value& v) {
  std::string out = str(at(v, {"status", "status"}));
  const auto parts = at(v, {"status", "partitions"});  // a local: the loop must not walk a temporary
  if (!parts.is_array()) return out;
  for (const auto& p : parts.as_array()) {
    out += " | " + str(at(p, {"topic"})) + "/" + std::to_string(num(at(p, {"partition"}))) + " " +
           std::to_string(num(at(p, {"end", "offset"}))) + " " + str(at(p, {"owner"})) + " " +
           str(at(p, {"client_id"})) + " " + str(at(p, {"status"}));
  }
  return out;
}

bool has_group(const warren_process& w, const std::string& cluster, const std::string& group) {
  auto v = parse_json(w.get("/v3/kafka/" + cluster + "/consumer").body);
  return contains_string(at(v, {"consumers"}), group);
}

// Commits stored for the group's partition 0 of `topic` (the window's non-null entries).
int stored_commits(const warren_process& w, const std::string& cluster, const std::string& group, const std::string& topic) {
  auto detail = parse_json(w.get("/v3/kafka/" + cluster + "/consumer/" + group).body);
  auto offsets = at(detail, {"topics", topic.c_str(), 0, "offsets"});
  if (!offsets.is_array()) return -1;
  int n = 0;
  for (const auto& o : offsets.as_array()) n += o.is_object() ? 1 : 0;
  return n;
}

// /status without what depends on the cluster's name or on when the commits were read: the group
// status, total lag, the partitions it reports (not OK ones) and the worst partition.
std::string status_summary(const boost::json::value& v) {
  std::string out = str(at(v, {"status", "status"})) + " lag " + std::to_string(num(at(v, {"status", "totallag"}))) +
                    " partitions " + std::to_string(num(at(v, {"status", "partition_count"})));
  const auto parts = at(v, {"status", "partitions"});
  if (parts.is_array())
    for (const auto& p : parts.as_array())
      out += " | " + str(at(p, {"topic"})) + "/" + std::to_string(num(at(p, {"partition"}))) + " " + str(at(p, {"status"}));
  const auto worst = at(v, {"status", "maxlag"});
  if (worst.is_object())
    out += " | max " + str(at(worst, {"topic"})) + "/" + std::to_string(num(at(worst, {"partition"}))) + " " +
           std::to_string(num(at(worst, {"current_lag"})));
  return out;
}

std::vector<std::string> consumer_list(const warren_process& w, const std::string& cluster) {
  std::vector<std::string> out;
  auto v = parse_json(w.get("/v3/kafka/" + cluster + "/consumer").body);
  auto list = at(v, {"consumers"});
  if (list.is_array())
    for (const auto& g : list.as_array()) out.push_back(str(g));
  std::sort(out.begin(), out.end());
  return out;
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

std::int64_t metric_value(const warren_process& w, const std::string& series) {
  auto body = w.get("/metrics").body;
  auto pos = body.find("\n" + series + " ");
  if (pos == std::string::npos) return -1;
  return std::atoll(body.c_str() + pos + 1 + series.size() + 1);
}

// ---- ACLs (issue 13 part 4) ----

struct acl_user {
  std::string name, password;
};
const acl_user reader_user{"warren-reader", "reader-s3cret"};  // may read __consumer_offsets
const acl_user denied_user{"warren-denied", "denied-s3cret"};  // DENY READ on __consumer_offsets
const acl_user hidden_user{"warren-hidden", "hidden-s3cret"};  // DENY DESCRIBE (and READ) on it

kafka_security acl_security(const test_pki& pki) {
  kafka_security sec;
  sec.ca_cert = pki.ca_cert;
  sec.broker_cert = pki.server_cert;
  sec.broker_key = pki.server_key;
  for (const auto* u : {&reader_user, &denied_user, &hidden_user}) sec.users.push_back({"PLAIN", u->name, u->password});
  sec.authorizer = true;
  return sec;
}

// What a monitoring user gets (peers.md: DESCRIBE on groups and topics is what the Admin API
// needs): DESCRIBE and READ on every group, DESCRIBE and DESCRIBE_CONFIGS on every topic (log-end
// offsets, retention), DESCRIBE on the cluster. Plus each user's rule on __consumer_offsets.
std::vector<kafka_acl> warren_acls() {
  std::vector<kafka_acl> acls;
  for (const auto* u : {&reader_user, &denied_user, &hidden_user}) {
    const std::string who = "User:" + u->name;
    acls.push_back({who, "group", "*", "DESCRIBE"});
    acls.push_back({who, "group", "*", "READ"});
    acls.push_back({who, "topic", "*", "DESCRIBE"});
    acls.push_back({who, "topic", "*", "DESCRIBE_CONFIGS"});
    acls.push_back({who, "cluster", "kafka-cluster", "DESCRIBE"});
  }
  acls.push_back({"User:" + reader_user.name, "topic", "__consumer_offsets", "READ"});
  acls.push_back({.principal = "User:" + denied_user.name, .resource = "topic", .name = "__consumer_offsets",
                  .operation = "READ", .allow = false});
  for (const char* op : {"DESCRIBE", "READ"})
    acls.push_back({.principal = "User:" + hidden_user.name, .resource = "topic", .name = "__consumer_offsets",
                    .operation = op, .allow = false});
  return acls;
}

// One Warren cluster per way of reading the same broker through its SASL_PLAINTEXT listener:
//   reader   class kafka, the user that may read the offsets topic (the reference answers)
//   fallback class kafka, READ denied: falls back (fetch refused)
//   hidden   class kafka, DESCRIBE denied: falls back (metadata refused)
//   admin    class kafka-admin, READ denied
//   none     class kafka, READ denied, fallback = "none": stays on the topic, stale
std::string acl_config(const kafka_cluster& kafka) {
  struct mode {
    const char* name;
    const acl_user* user;
    const char* consumer;  // the [consumer.X] body after cluster
  };
  const mode modes[] = {
      {"reader", &reader_user, "class-name = \"kafka\"\nself-report = false\n"},
      {"fallback", &denied_user, "class-name = \"kafka\"\nself-report = false\n"},
      {"hidden", &hidden_user, "class-name = \"kafka\"\nself-report = false\n"},
      {"admin", &denied_user, "class-name = \"kafka-admin\"\noffset-refresh = 1\ngroup-refresh = 1\n"},
      {"none", &denied_user, "class-name = \"kafka\"\nself-report = false\nfallback = \"none\"\n"},
  };
  std::ostringstream c;
  const std::string servers = "[\"" + kafka.bootstrap(kafka_listener::sasl_plaintext) + "\"]";
  for (const auto& m : modes) {
    c << "[sasl." << m.name << "]\nmechanism = \"PLAIN\"\nusername = \"" << m.user->name << "\"\npassword = \""
      << m.user->password << "\"\n\n";
    c << "[client-profile." << m.name << "]\nclient-id = \"warren-" << m.name << "\"\nsasl = \"" << m.name << "\"\n\n";
    c << "[cluster." << m.name << "]\nservers = " << servers << "\nclient-profile = \"" << m.name
      << "\"\noffset-refresh = 1\ntopic-refresh = 2\n\n";
    c << "[consumer." << m.name << "]\ncluster = \"" << m.name << "\"\n" << m.consumer << "\n";
  }
  c << "[storage.default]\nintervals = 5\n\n[warren]\neval-interval = 1\ncoalesce-ms = 50\n";
  return c.str();
}

// The line a consumer that fell back logs (exactly once): consumer, cluster, reason, mode.
// GET /v3/health, checked against proto/http/openapi.yaml; the parsed body.
boost::json::value checked_health(const warren_process& w) {
  const auto reply = w.get("/v3/health");
  openapi_spec spec{std::filesystem::path(source_dir()) / "proto/http/openapi.yaml"};
  auto ct = reply.headers.find("content-type");
  auto problems = spec.check(live_response{"GET", "/v3/health", reply.status,
                                           ct == reply.headers.end() ? "" : ct->second, reply.body});
  BOOST_TEST(problems.empty(), [&] {
    std::string all;
    for (const auto& problem : problems) all += problem + "\n";
    return all;
  }());
  return parse_json(reply.body);
}

std::string fallback_line(const std::string& name) {
  return "consumer " + name + " of cluster " + name + ": cannot read __consumer_offsets (TOPIC_AUTHORIZATION_FAILED";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(admin_source)

BOOST_AUTO_TEST_CASE(admin_source_gives_the_same_offsets_owners_and_statuses_as_the_topic_reader) {
  kafka_cluster kafka;
  kafka.create_topic("payments", 2);
  producer p(kafka.bootstrap());
  p.produce("payments", 0, 30);
  p.produce("payments", 1, 20);
  warren_process w(both_config(kafka.bootstrap()), 60s);
  BOOST_TEST(w.output().find("from the Admin API (class kafka-admin") != std::string::npos, w.output());

  std::string topic_view, admin_view;
  {
    consumer_member m(kafka.bootstrap(), {.group = "ledger", .topics = {"payments"}, .client_id = "ledger-1"});
    BOOST_REQUIRE(m.wait_for_consumed(50, 60s));
    // Both views agree: OK, same committed offsets, same owner host and client id.
    const bool same = poll_until(
        [&] {
          topic_view = summary(lag(w, "topic", "ledger"));
          admin_view = summary(lag(w, "admin", "ledger"));
          return topic_view == admin_view && topic_view.find("payments/0 30 ") != std::string::npos &&
                 topic_view.find("payments/1 20 ") != std::string::npos && topic_view.rfind("OK", 0) == 0 &&
                 topic_view.find("ledger-1") != std::string::npos;
        },
        60s, 250ms);
    BOOST_TEST(same, "topic: " << topic_view << "\nadmin: " << admin_view);
    auto a = lag(w, "admin", "ledger");
    BOOST_TEST(num(at(a, {"status", "totallag"})) == 0);
  }  // the consumer leaves the group
  p.produce("payments", 0, 25);
  // A consumer that stopped is STOP on both (the admin source sends no commit for an unchanged
  // offset, so no fake STALL from re-reading it), lag 25 on partition 0, owners cleared.
  const bool stopped = poll_until(
      [&] {
        topic_view = summary(lag(w, "topic", "ledger"));
        admin_view = summary(lag(w, "admin", "ledger"));
        return admin_view.rfind("ERR", 0) == 0 && topic_view.rfind("ERR", 0) == 0 &&
               admin_view.find("payments/0 30   STOP") != std::string::npos && topic_view == admin_view;
      },
      90s, 250ms);
  BOOST_TEST(stopped, "topic: " << topic_view << "\nadmin: " << admin_view);
  BOOST_TEST(num(at(lag(w, "admin", "ledger"), {"status", "partitions", 0, "current_lag"})) == 25);

  // Health and metrics report the source and its schedule lag; /v3/health keeps to openapi.yaml.
  const auto health = checked_health(w);
  BOOST_TEST(at(health, {"clusters", "admin", "offsets_caught_up"}).as_bool());
  BOOST_TEST(at(health, {"clusters", "admin"}).as_object().contains("admin_schedule_lag_ms"), health);
  BOOST_TEST(!at(health, {"clusters", "topic"}).as_object().contains("admin_schedule_lag_ms"), health);
  auto metrics = w.get("/metrics").body;
  BOOST_TEST(metrics.find("warren_admin_schedule_lag_seconds{consumer=\"admin\",cluster=\"admin\"}") !=
             std::string::npos);
  BOOST_TEST(metrics.find("warren_admin_offsets_total{consumer=\"admin\",cluster=\"admin\",outcome=\"unchanged\"}") !=
             std::string::npos);

  // A deleted group disappears from the admin cluster (the topic reader sees the group tombstone).
  delete_group(kafka, "ledger");
  BOOST_TEST(poll_until([&] { return !has_group(w, "admin", "ledger"); }, 30s, 250ms));
  BOOST_TEST(poll_until([&] { return !has_group(w, "topic", "ledger"); }, 30s, 250ms));
  BOOST_TEST(w.get("/v3/kafka/admin/consumer/ledger/lag").status == 404u);
}

BOOST_AUTO_TEST_CASE(a_restarted_source_resumes_without_re_sending_unchanged_offsets) {
  kafka_cluster kafka;
  kafka.create_topic("orders", 1);
  producer p(kafka.bootstrap());
  p.produce("orders", 0, 10);
  ::setenv("WARREN_FAULT_INJECTION", "1", 1);
  std::unique_ptr<warren_process> started;
  try {
    started = std::make_unique<warren_process>(both_config(kafka.bootstrap()), 60s);
  } catch (...) {
    ::unsetenv("WARREN_FAULT_INJECTION");
    throw;
  }
  ::unsetenv("WARREN_FAULT_INJECTION");
  auto& w = *started;
  consumer_member m(kafka.bootstrap(), {.group = "billing", .topics = {"orders"}});
  BOOST_REQUIRE(m.wait_for_consumed(10, 60s));
  BOOST_REQUIRE(poll_until([&] { return summary(lag(w, "admin", "billing")).find("orders/0 10 ") != std::string::npos; },
                           60s, 250ms));
  const std::string unchanged = "warren_admin_offsets_total{consumer=\"admin\",cluster=\"admin\",outcome=\"unchanged\"}";
  // The consumer re-commits offset 10 every 500 ms; the admin source keeps one commit for it.
  BOOST_REQUIRE(poll_until([&] { return metric_value(w, unchanged) >= 3; }, 30s, 250ms));
  const int before = stored_commits(w, "admin", "billing", "orders");
  BOOST_TEST(before >= 1);

  auto r = http_call(w.port(), "POST", "/v3/admin/fault/admin_source/admin");
  BOOST_TEST(r.status == 200u, r.body);
  auto health_entry = [&] {
    auto h = parse_json(w.get("/v3/health").body);
    auto actors = at(h, {"actors"});
    if (actors.is_array())
      for (const auto& a : actors.as_array())
        if (str(at(a, {"actor"})) == "admin_source" && str(at(a, {"cluster"})) == "admin") return a;
    return boost::json::value(nullptr);
  };
  BOOST_TEST(poll_until([&] {
    auto a = health_entry();
    return num(at(a, {"restarts"})) == 1 && at(a, {"up"}).is_bool() && at(a, {"up"}).as_bool();
  }, 30s, 100ms));
  // After the restart the same offset is read again (unchanged grows) and is still not a new commit.
  const auto after_restart = metric_value(w, unchanged);
  BOOST_TEST(poll_until([&] { return metric_value(w, unchanged) >= after_restart + 3; }, 30s, 250ms));
  BOOST_TEST(stored_commits(w, "admin", "billing", "orders") == before);
  // New commits still arrive.
  p.produce("orders", 0, 5);
  BOOST_TEST(poll_until([&] { return summary(lag(w, "admin", "billing")).find("orders/0 15 ") != std::string::npos; },
                        60s, 250ms),
             summary(lag(w, "admin", "billing")));
  BOOST_TEST(stored_commits(w, "admin", "billing", "orders") > before);
}

BOOST_AUTO_TEST_CASE(users_denied_the_offsets_topic_fall_back_to_the_admin_api_with_the_same_answers) {
  const test_pki pki = make_test_pki();
  kafka_cluster kafka({.security = acl_security(pki)});
  kafka.create_acls(warren_acls());
  kafka.create_topic("payments", 2);
  kafka.create_topic("clicks", 1);
  producer p(kafka.bootstrap());
  p.produce("payments", 0, 30);
  p.produce("payments", 1, 20);
  // Real groups, through the plaintext (super user) listener: "archive" committed 10 on clicks and
  // left (Empty), "ledger" is a live classic member, "console-kip848" a KIP-848 member (Kafka's
  // Java consumer: librdkafka 2.0.2 cannot join the consumer protocol).
  commit_all_and_leave(kafka.bootstrap(), "archive", "clicks", 10);
  auto kip848 = kafka.spawn_tool(console_consumer_class,
                                 {"--bootstrap-server", kafka.bootstrap(), "--topic", "clicks", "--group",
                                  "console-kip848", "--from-beginning", "--consumer-property",
                                  "group.protocol=consumer", "--consumer-property", "auto.commit.interval.ms=200"});
  consumer_member ledger(kafka.bootstrap(), {.group = "ledger", .topics = {"payments"}, .client_id = "ledger-1"});
  BOOST_REQUIRE(ledger.wait_for_consumed(50, 60s));
  warren_process w(acl_config(kafka), 60s);

  // Each denied class kafka consumer says once which mode it is in now, and why.
  BOOST_TEST(poll_until([&] { return occurrences(w.output(), fallback_line("hidden")) == 1 &&
                                     occurrences(w.output(), fallback_line("fallback")) == 1; },
                        60s, 100ms),
             w.output());

  const std::vector<std::string> groups{"archive", "console-kip848", "ledger"};
  const std::vector<std::string> views{"fallback", "hidden", "admin"};
  std::map<std::string, std::string> seen;  // "cluster group" -> answers, for the failure message
  auto answers = [&](const std::string& cluster, const std::string& g) {
    const auto lag_answer = summary(lag(w, cluster, g));
    const auto status = status_summary(parse_json(w.get("/v3/kafka/" + cluster + "/consumer/" + g + "/status").body));
    return seen[cluster + " " + g] = lag_answer + " || " + status;
  };
  const bool same = poll_until(
      [&] {
        if (consumer_list(w, "reader") != groups) return false;
        for (const auto& v : views)
          if (consumer_list(w, v) != groups) return false;
        for (const auto& g : groups) {
          const auto reference = answers("reader", g);
          for (const auto& v : views)
            if (answers(v, g) != reference) return false;
        }
        const auto& l = seen["reader ledger"];
        return l.rfind("OK", 0) == 0 && l.find("payments/0 30 ") != std::string::npos &&
               l.find("payments/1 20 ") != std::string::npos && l.find("ledger-1") != std::string::npos &&
               seen["reader archive"].find("clicks/0 10 ") != std::string::npos &&
               seen["reader console-kip848"].find("clicks/0 10 ") != std::string::npos;
      },
      90s, 250ms);
  BOOST_TEST(same, [&] {
    std::string all;
    for (const auto& c : {"reader", "fallback", "hidden", "admin"}) {
      all += std::string(c) + ": ";
      for (const auto& g : consumer_list(w, c)) all += g + " ";
      all += "\n";
    }
    for (const auto& [k, v] : seen) all += k + ": " + v + "\n";
    return all;
  }());
  for (const auto& g : groups) BOOST_TEST_MESSAGE("ACL test, " << g << " via the reader: " << seen["reader " + g]);
  // The reader that may not read and must not fall back sees no group.
  BOOST_TEST(consumer_list(w, "none").empty());

  // The mode in use, in /v3/health (which keeps to openapi.yaml) and /metrics.
  const auto health = checked_health(w);
  auto source = [&](const char* cluster) { return at(health, {"clusters", cluster, "offsets_sources", 0}); };
  BOOST_TEST(str(at(source("reader"), {"mode"})) == "offsets-topic");
  BOOST_TEST(!at(source("reader"), {"fallback"}).as_bool());
  BOOST_TEST(str(at(source("reader"), {"reason"})) == "");
  for (const char* c : {"fallback", "hidden"}) {
    BOOST_TEST(str(at(source(c), {"consumer"})) == c);
    BOOST_TEST(str(at(source(c), {"mode"})) == "kafka-admin", c);
    BOOST_TEST(at(source(c), {"fallback"}).as_bool(), c);
    BOOST_TEST(str(at(source(c), {"reason"})).find("TOPIC_AUTHORIZATION_FAILED") == 0u, health);
  }
  BOOST_TEST(str(at(source("fallback"), {"reason"})).find("no READ") != std::string::npos, health);
  BOOST_TEST(str(at(source("hidden"), {"reason"})).find("no DESCRIBE") != std::string::npos, health);
  BOOST_TEST(str(at(source("admin"), {"mode"})) == "kafka-admin");
  BOOST_TEST(!at(source("admin"), {"fallback"}).as_bool());
  BOOST_TEST(str(at(source("none"), {"mode"})) == "offsets-topic");
  BOOST_TEST(str(at(source("none"), {"reason"})).find("TOPIC_AUTHORIZATION_FAILED") == 0u, health);
  BOOST_TEST(at(health, {"clusters", "none", "freshness", "stale"}).as_bool());
  BOOST_TEST(str(at(health, {"clusters", "none", "freshness", "reason"})).find("cannot read its offsets topic") !=
                 std::string::npos,
             health);
  BOOST_TEST(!at(health, {"clusters", "fallback", "freshness", "stale"}).as_bool(), health);
  BOOST_TEST(at(health, {"clusters", "fallback"}).as_object().contains("admin_schedule_lag_ms"), health);
  BOOST_TEST(metric_value(w, R"(warren_offsets_source{consumer="fallback",cluster="fallback",mode="kafka-admin"})") == 1);
  BOOST_TEST(metric_value(w, R"(warren_offsets_source{consumer="fallback",cluster="fallback",mode="offsets-topic"})") == 0);
  BOOST_TEST(metric_value(w, R"(warren_offsets_fallback{consumer="fallback",cluster="fallback"})") == 1);
  BOOST_TEST(metric_value(w, R"(warren_offsets_fallback{consumer="hidden",cluster="hidden"})") == 1);
  BOOST_TEST(metric_value(w, R"(warren_offsets_fallback{consumer="admin",cluster="admin"})") == 0);
  BOOST_TEST(metric_value(w, R"(warren_offsets_source{consumer="reader",cluster="reader",mode="offsets-topic"})") == 1);
  BOOST_TEST(metric_value(w, R"(warren_offsets_source{consumer="none",cluster="none",mode="offsets-topic"})") == 1);
  BOOST_TEST(metric_value(w, R"(warren_offsets_fallback{consumer="none",cluster="none"})") == 0);

  // A deleted group disappears from every view.
  delete_group(kafka, "archive");
  const std::vector<std::string> left{"console-kip848", "ledger"};
  BOOST_TEST(poll_until(
      [&] {
        for (const auto& c : {"reader", "fallback", "hidden", "admin"})
          if (consumer_list(w, c) != left) return false;
        return true;
      },
      30s, 250ms));
  BOOST_TEST(w.get("/v3/kafka/fallback/consumer/archive/lag").status == 404u);

  // Still one line each: no second fallback, no repeated refusal.
  const auto out = w.output();
  BOOST_TEST(occurrences(out, fallback_line("fallback")) == 1u, out);
  BOOST_TEST(occurrences(out, fallback_line("hidden")) == 1u, out);
  BOOST_TEST(occurrences(out, "consumer none of cluster none: cannot read __consumer_offsets (TOPIC_AUTHORIZATION_FAILED") ==
             1u, out);
  BOOST_TEST(occurrences(out, "mode now kafka-admin") == 2u, out);
  for (const char* c : {"fallback", "hidden"}) {
    auto at_line = out.find(fallback_line(c));
    BOOST_TEST_MESSAGE("fallback line: " << out.substr(out.rfind('\n', at_line) + 1,
                                                        out.find('\n', at_line) - out.rfind('\n', at_line) - 1));
  }
  BOOST_TEST(kip848.terminate() == 143);
}

BOOST_AUTO_TEST_SUITE_END()
