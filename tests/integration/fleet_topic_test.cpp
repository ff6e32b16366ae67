// The fleet's status topic when it cannot be created (issue 14 part 2): a broker with ACLs and a
// Warren user that may read the offsets topic and join its cluster-group but not create topics.
// The failure is logged and shown in /v3/health (status_topic.error, the fleet_status actor down),
// never a crash; the instance keeps answering the groups it owns. Once the topic exists (created
// by an administrator) the actor recovers on its own and publishes.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "service/core/clock.hpp"
#include "service/storage/snapshot.hpp"
#include "tests/support/json_helpers.hpp"
#include "tests/support/kafka_harness.hpp"
#include "tests/support/offsets_records.hpp"
#include "tests/support/poll_until.hpp"
#include "tests/support/test_clients.hpp"
#include "tests/support/tls_pki.hpp"
#include "tests/support/warren_process.hpp"

using namespace warren::test;
using namespace std::chrono_literals;
using warren::poll_until;

namespace {

const sasl_user fleet_user{"PLAIN", "warren-fleet", "fleet-s3cret"};

kafka_security security(const test_pki& pki) {
  kafka_security sec;
  sec.ca_cert = pki.ca_cert;
  sec.broker_cert = pki.server_cert;
  sec.broker_key = pki.server_key;
  sec.users.push_back(fleet_user);
  sec.authorizer = true;
  return sec;
}

// Everything an instance needs except CREATE on the cluster.
std::vector<kafka_acl> acls() {
  const std::string who = "User:" + fleet_user.name;
  return {{who, "group", "*", "DESCRIBE"},        {who, "group", "*", "READ"},
          {who, "topic", "*", "DESCRIBE"},        {who, "topic", "*", "DESCRIBE_CONFIGS"},
          {who, "topic", "*", "READ"},            {who, "topic", "*", "WRITE"},
          {who, "cluster", "kafka-cluster", "DESCRIBE"}};
}

bool flag(const boost::json::value& v) { return v.is_bool() && v.as_bool(); }

boost::json::value status_topic(const warren_process& w) {
  return at(parse_json(w.get("/v3/health").body), {"clusters", "sec", "offsets_sources", 0, "status_topic"});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fleet_topic)

BOOST_AUTO_TEST_CASE(a_status_topic_that_cannot_be_created_is_reported_and_retried) {
  const test_pki pki = make_test_pki();
  kafka_cluster kafka({.security = security(pki)});
  kafka.create_acls(acls());
  kafka.create_topic("ft-data", 1);
  kafka.create_topic("ft-log", 2);
  producer(kafka.bootstrap()).produce("ft-data", 0, 100);
  raw_producer commits(kafka.bootstrap());
  const auto now = warren::wall_now_ms();
  {
    std::vector<raw_record> r;
    for (int i = 0; i < 5; ++i) r.push_back(commit_record("ft-group", "ft-data", 0, 40 + 10 * i, now - 60'000 + 10'000 * i));
    commits.send("ft-log", warren::snapshot::offsets_partition_for("ft-group", 2), r);
  }

  const std::string config =
      "[sasl.sec]\nmechanism = \"PLAIN\"\nusername = \"" + fleet_user.name + "\"\npassword = \"" + fleet_user.password +
      "\"\n\n[client-profile.sec]\nclient-id = \"warren-sec\"\nsasl = \"sec\"\n\n[cluster.sec]\nservers = [\"" +
      kafka.bootstrap(kafka_listener::sasl_plaintext) +
      "\"]\nclient-profile = \"sec\"\noffset-refresh = 1\ntopic-refresh = 2\n\n[consumer.sec]\ncluster = \"sec\"\n"
      "offsets-topic = \"ft-log\"\nclient-profile = \"sec\"\ncluster-group = \"ft-fleet\"\n"
      "cluster-group-session-timeout = 6\nself-report = false\n\n[storage.default]\nintervals = 5\n\n"
      "[warren]\neval-interval = 1\ncoalesce-ms = 50\n";
  warren_process w(config);

  // Reported, not fatal: the reason names the topic and the broker's refusal.
  std::string seen;
  BOOST_REQUIRE_MESSAGE(poll_until(
                            [&] {
                              auto st = status_topic(w);
                              seen = boost::json::serialize(st);
                              return st.is_object() && !flag(at(st, {"ready"})) &&
                                     str(at(st, {"error"})).find("__warren_status_ft-fleet") != std::string::npos &&
                                     str(at(st, {"error"})).find("AUTHORIZATION") != std::string::npos;
                            },
                            60s),
                        seen << "\n" << w.output());
  BOOST_TEST_MESSAGE("status_topic while refused: " << seen);
  auto health = parse_json(w.get("/v3/health").body);
  bool actor_down = false;
  const auto actors = at(health, {"actors"});
  BOOST_REQUIRE(actors.is_array());
  for (const auto& a : actors.as_array())
    if (str(at(a, {"actor"})) == "fleet_status" && !flag(at(a, {"up"}))) actor_down = true;
  BOOST_TEST(actor_down, boost::json::serialize(health));
  BOOST_TEST(w.output().find("cannot create __warren_status_ft-fleet") != std::string::npos, w.output());
  // Its own groups are still answered.
  BOOST_REQUIRE(poll_until([&] { return w.get("/v3/kafka/sec/consumer/ft-group/status").status == 200; }, 30s));

  // An administrator creates the topic: the actor recovers (supervisor backoff) and publishes.
  kafka.create_topic("__warren_status_ft-fleet", 2);
  BOOST_REQUIRE_MESSAGE(poll_until(
                            [&] {
                              auto st = status_topic(w);
                              seen = boost::json::serialize(st);
                              return flag(at(st, {"ready"})) && num(at(st, {"delivered"})) >= 1 &&
                                     num(at(st, {"remote_groups"})) >= 1;
                            },
                            60s),
                        seen << "\n" << w.output());
}

BOOST_AUTO_TEST_SUITE_END()
