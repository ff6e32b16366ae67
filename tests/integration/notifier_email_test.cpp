// The email notifier end to end: a real consumer group on a real broker goes OK -> ERR -> OK and
// the real binary mails Debian's aiosmtpd on loopback (tests/support/smtp_sink): exactly one open
// and one close per module, with the Subject and body rendered from the templates (Warren's
// shipped config/templates/email-*.tmpl, and a Burrow-style template of our own sent with
// AUTH PLAIN). A module whose password the server refuses gets nothing through and counts it.
// Second case: STARTTLS (the server demands it) verified against the test CA given as extra-ca,
// or not verified with noverify; a wrong extra-ca fails every attempt and is counted; AUTH
// CRAM-MD5 with auth-type "crammd5" (and a wrong password refused). Implicit TLS is chosen only by
// port 465 in email_transport, which a test cannot take, so it is not covered here.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <optional>

#include "tests/support/json_helpers.hpp"
#include "tests/support/kafka_harness.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/poll_until.hpp"
#include "tests/support/smtp_sink.hpp"
#include "tests/support/test_clients.hpp"
#include "tests/support/tls_pki.hpp"
#include "tests/support/warren_process.hpp"

using namespace warren::test;
using namespace std::chrono_literals;
using warren::poll_until;

namespace {

// Burrow's convention: `Subject:` first, blank line, body; `{{.Result.Status}}` as Burrow prints it.
const char* burrow_style_open =
    "Subject: [Burrow] Kafka Consumer {{.Result.Status}} on {{.Cluster}}: {{.Group}}\n"
    "\n"
    "Group {{.Group}} in cluster {{.Cluster}} is {{.Result.Status}} (incident {{.ID}}, team "
    "{{index .Extras \"team\"}}).\n"
    "{{range .Result.Partitions}}{{.Topic}}:{{.Partition}} {{.Status}} lag={{.CurrentLag}}\n{{end}}";
const char* burrow_style_close =
    "Subject: [Burrow] Kafka Consumer OK on {{.Cluster}}: {{.Group}}\n"
    "\n"
    "Group {{.Group}} recovered; incident {{.ID}} closed.\n";

std::string email_module(const std::string& name, std::uint16_t port, const std::string& open,
                         const std::string& close, const std::string& more = "") {
  return "[notifier." + name + "]\nclass-name = \"email\"\nserver = \"127.0.0.1\"\nport = " + std::to_string(port) +
         "\nfrom = \"warren@example.com\"\nto = \"ops@example.com, oncall@example.com\"\n" +
         "template-open = \"" + open + "\"\ntemplate-close = \"" + close + "\"\nsend-close = true\n" +
         "send-interval = 3600\nextras = { team = \"payments\" }\n" + more + "\n";
}

std::string group_status(const warren_process& w, const std::string& group) {
  auto reply = w.get("/v3/kafka/local/consumer/" + group + "/status");
  if (reply.status != 200) return "";
  return str(at(parse_json(reply.body), {"status", "status"}));
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(notifier_email_delivery)

BOOST_AUTO_TEST_CASE(ok_err_ok_mails_one_open_and_one_close_with_rendered_subject_and_body) {
  kafka_cluster kafka;
  kafka.create_topic("payments", 1);
  producer(kafka.bootstrap()).produce("payments", 0, 50);

  smtp_sink plain;
  smtp_sink authed("alerts:s3cret-pw");
  const std::string shipped = source_dir() + "/config/templates/";
  auto open = write_temp_file("open.tmpl", burrow_style_open);
  auto close = write_temp_file("close.tmpl", burrow_style_close);
  warren_process w(fast_cluster_config("local", kafka.bootstrap()) +
                   email_module("mail", plain.port(), shipped + "email-open.tmpl", shipped + "email-close.tmpl") +
                   email_module("authmail", authed.port(), open.string(), close.string(),
                                "auth-type = \"plain\"\nusername = \"alerts\"\npassword = \"s3cret-pw\"\n") +
                   email_module("badauth", authed.port(), open.string(), close.string(),
                                "auth-type = \"plain\"\nusername = \"alerts\"\npassword = \"wrong-pw\"\n"));

  std::optional<consumer_member> member;
  member.emplace(kafka.bootstrap(), consumer_member_options{.group = "ledger", .topics = {"payments"}});
  BOOST_REQUIRE(member->wait_for_assignment(60s));
  BOOST_REQUIRE(poll_until([&] { return group_status(w, "ledger") == "OK"; }, 60s, 200ms));
  BOOST_TEST(plain.count() == 0u);  // threshold 2: nothing for a healthy group

  // ERR: the consumer dies while messages keep coming (STOP).
  member.reset();
  producer(kafka.bootstrap()).produce("payments", 0, 25);
  BOOST_REQUIRE(poll_until([&] { return group_status(w, "ledger") == "ERR"; }, 90s, 200ms));
  BOOST_REQUIRE_MESSAGE(plain.wait_for(1, 30s), plain.output() + w.output());
  BOOST_REQUIRE_MESSAGE(authed.wait_for(1, 30s), authed.output() + w.output());

  auto o = plain.messages().at(0);
  BOOST_TEST(o.from == "warren@example.com");
  BOOST_TEST((o.to == std::vector<std::string>{"ops@example.com", "oncall@example.com"}));
  BOOST_TEST(o.login == "");
  BOOST_TEST(o.headers["subject"] == "[Warren] ledger on local is ERR");
  BOOST_TEST(o.headers["from"] == "warren@example.com");
  BOOST_TEST(o.headers["to"] == "ops@example.com, oncall@example.com");
  BOOST_TEST(o.headers["content-type"] == "text/plain; charset=UTF-8");
  BOOST_TEST(!o.headers["date"].empty());
  BOOST_TEST(!o.headers["message-id"].empty());
  BOOST_TEST(contains(o.body, "Consumer group ledger on cluster local is ERR since "), o.body);
  BOOST_TEST(contains(o.body, "Partitions not OK:\n"), o.body);
  BOOST_TEST(contains(o.body, " payments:0 lag "), o.body);  // the partition above OK
  const auto incident_at = o.body.find("Incident: ");
  BOOST_TEST_REQUIRE(incident_at != std::string::npos, o.body);
  const std::string id = o.body.substr(incident_at + 10, 36);
  BOOST_TEST(id.find('\n') == std::string::npos, id);

  auto a = authed.messages().at(0);
  BOOST_TEST(a.login == "alerts");  // AUTH PLAIN with the module's credentials
  BOOST_TEST(a.headers["subject"] == "[Burrow] Kafka Consumer ERR on local: ledger");
  BOOST_TEST(a.body.rfind("Group ledger in cluster local is ERR (incident " + id + ", team payments).\npayments:0 ", 0) ==
                 0u,
             a.body);

  // Recovery closes the incident: one close each, naming the incident the open announced.
  member.emplace(kafka.bootstrap(), consumer_member_options{.group = "ledger", .topics = {"payments"}});
  BOOST_REQUIRE(member->wait_for_assignment(60s));
  BOOST_REQUIRE(poll_until([&] { return group_status(w, "ledger") == "OK"; }, 90s, 200ms));
  BOOST_REQUIRE_MESSAGE(plain.wait_for(2, 30s), w.output());
  BOOST_REQUIRE_MESSAGE(authed.wait_for(2, 30s), w.output());
  auto c = plain.messages().at(1);
  BOOST_TEST(c.headers["subject"] == "[Warren] ledger on local is OK again");
  BOOST_TEST(contains(c.body, "Consumer group ledger on cluster local is OK again.\nIncident " + id + " opened "),
             c.body);
  auto ac = authed.messages().at(1);
  BOOST_TEST(ac.login == "alerts");
  BOOST_TEST(ac.headers["subject"] == "[Burrow] Kafka Consumer OK on local: ledger");
  BOOST_TEST(ac.body == "Group ledger recovered; incident " + id + " closed.\n");

  // The refused login: counted as failures (not retried: a 535 will not get better), never delivered.
  BOOST_REQUIRE(poll_until(
      [&] {
        auto m = w.get("/metrics").body;
        return contains(m, "warren_notifier_sent_total{notifier=\"mail\"} 2") &&
               contains(m, "warren_notifier_sent_total{notifier=\"authmail\"} 2") &&
               contains(m, "warren_notifier_failed_total{notifier=\"badauth\"} 2");
      },
      30s, 200ms));
  BOOST_TEST(plain.count() == 2u);
  BOOST_TEST(authed.count() == 2u);  // badauth's two messages never got through
  BOOST_TEST(!contains(w.output(), "s3cret-pw"), w.output());
  BOOST_TEST(!contains(w.output(), "wrong-pw"), w.output());
}

BOOST_AUTO_TEST_CASE(starttls_with_extra_ca_or_noverify_delivers_a_wrong_ca_fails_and_crammd5_logs_in) {
  kafka_cluster kafka;
  kafka.create_topic("orders", 1);
  producer(kafka.bootstrap()).produce("orders", 0, 50);

  const auto pki = make_test_pki();
  smtp_sink tls(smtp_sink_options{.tls_cert = pki.server_cert, .tls_key = pki.server_key});
  smtp_sink unverified(smtp_sink_options{.tls_cert = pki.server_cert, .tls_key = pki.server_key});
  smtp_sink cram(smtp_sink_options{.auth = "alerts:cram-pw"});
  const std::string shipped = source_dir() + "/config/templates/";
  const auto open = shipped + "email-open.tmpl", close = shipped + "email-close.tmpl";
  warren_process w(
      fast_cluster_config("local", kafka.bootstrap()) +
      email_module("starttls", tls.port(), open, close, "extra-ca = \"" + pki.ca_cert.string() + "\"\n") +
      email_module("wrongca", tls.port(), open, close, "extra-ca = \"" + pki.other_ca_cert.string() + "\"\n") +
      email_module("noverify", unverified.port(), open, close, "noverify = true\n") +
      email_module("crammd5", cram.port(), open, close,
                   "auth-type = \"crammd5\"\nusername = \"alerts\"\npassword = \"cram-pw\"\n") +
      email_module("badcram", cram.port(), open, close,
                   "auth-type = \"crammd5\"\nusername = \"alerts\"\npassword = \"not-the-pw\"\n"));

  std::optional<consumer_member> member;
  member.emplace(kafka.bootstrap(), consumer_member_options{.group = "billing", .topics = {"orders"}});
  BOOST_REQUIRE(member->wait_for_assignment(60s));
  BOOST_REQUIRE(poll_until([&] { return group_status(w, "billing") == "OK"; }, 60s, 200ms));
  member.reset();
  producer(kafka.bootstrap()).produce("orders", 0, 25);
  BOOST_REQUIRE(poll_until([&] { return group_status(w, "billing") == "ERR"; }, 90s, 200ms));

  BOOST_REQUIRE_MESSAGE(tls.wait_for(1, 30s), tls.output() + w.output());
  BOOST_REQUIRE_MESSAGE(unverified.wait_for(1, 30s), unverified.output() + w.output());
  BOOST_REQUIRE_MESSAGE(cram.wait_for(1, 30s), cram.output() + w.output());

  auto t = tls.messages().at(0);
  BOOST_TEST(t.tls);  // upgraded with STARTTLS (the sink refuses MAIL before it anyway)
  BOOST_TEST(t.login == "");
  BOOST_TEST(t.headers["subject"] == "[Warren] billing on local is ERR");
  BOOST_TEST(contains(t.body, "Consumer group billing on cluster local is ERR since "), t.body);
  auto u = unverified.messages().at(0);
  BOOST_TEST(u.tls);  // a certificate no configured CA signed, accepted because of noverify
  BOOST_TEST(u.headers["subject"] == "[Warren] billing on local is ERR");
  auto c = cram.messages().at(0);
  BOOST_TEST(c.login == "alerts");
  BOOST_TEST(c.mechanism == "CRAM-MD5");
  BOOST_TEST(!c.tls);
  BOOST_TEST(c.headers["subject"] == "[Warren] billing on local is ERR");

  // badcram: refused login, not retried. wrongca: the handshake fails certificate verification
  // on every attempt (a TLS failure is retried like a connection error: 5 retries with backoff,
  // 0.5-1 s, 1-2 s, ... 8-16 s), then it is given up and counted.
  const auto failed_line = [](const std::string& n) { return "warren_notifier_failed_total{notifier=\"" + n + "\"} 1"; };
  BOOST_REQUIRE_MESSAGE(poll_until(
                            [&] {
                              auto m = w.get("/metrics").body;
                              return contains(m, failed_line("badcram")) && contains(m, failed_line("wrongca"));
                            },
                            45s, 200ms),
                        w.get("/metrics").body + w.output());
  const auto m = w.get("/metrics").body;
  BOOST_TEST(contains(m, "warren_notifier_sent_total{notifier=\"starttls\"} 1"), m);
  BOOST_TEST(contains(m, "warren_notifier_sent_total{notifier=\"noverify\"} 1"), m);
  BOOST_TEST(contains(m, "warren_notifier_sent_total{notifier=\"crammd5\"} 1"), m);
  BOOST_TEST(contains(m, "warren_notifier_sent_total{notifier=\"wrongca\"} 0"), m);
  BOOST_TEST(contains(m, "warren_notifier_retries_total{notifier=\"wrongca\"} 5"), m);
  BOOST_TEST(contains(m, "warren_notifier_sent_total{notifier=\"badcram\"} 0"), m);
  BOOST_TEST(contains(m, "warren_notifier_retries_total{notifier=\"badcram\"} 0"), m);
  BOOST_TEST(contains(w.output(), "notifier: wrongca (email): delivery to smtp://127.0.0.1:" + std::to_string(tls.port()) +
                                      " failed: SSL certificate problem"),
             w.output());
  BOOST_TEST(tls.count() == 1u);   // nothing from wrongca, not even over plain text
  BOOST_TEST(cram.count() == 1u);  // nothing from badcram
  BOOST_TEST(!contains(w.output(), "cram-pw"), w.output());
  BOOST_TEST(!contains(w.output(), "not-the-pw"), w.output());
}

BOOST_AUTO_TEST_SUITE_END()
