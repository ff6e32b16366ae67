// Notify once across a fleet (issue 14 part 3): three Warren instances of one cluster-group over a
// hand-made 6-partition offsets topic, one HTTP notifier receiver for all. Group A is ERR from the
// start: its owner sends one open and publishes the incident to the status topic. The owner is
// SIGKILLed; group B, in the same offsets partition, goes ERR while its owner is dead. The new
// owner adopts A's incident (no second open for A: clean hand-off of a published state) and opens
// B's incident once. The receiver gets exactly one open per group. Then the new owner stops
// cleanly (SIGTERM) and the last instance adopts both incidents without sending anything.
#include <signal.h>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "service/core/clock.hpp"
#include "service/storage/snapshot.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/http_receiver.hpp"
#include "tests/support/fleet_helpers.hpp"
#include "tests/support/json_helpers.hpp"
#include "tests/support/kafka_harness.hpp"
#include "tests/support/offsets_records.hpp"
#include "tests/support/poll_until.hpp"
#include "tests/support/test_clients.hpp"
#include "tests/support/warren_process.hpp"

using namespace warren::test;
using namespace std::chrono_literals;
using warren::poll_until;

namespace {

constexpr const char* log_topic = "fn-log";
constexpr int log_partitions = 6;

int partition_of(const std::string& g) { return warren::snapshot::offsets_partition_for(g, log_partitions); }

// Two groups of one offsets partition (so they share an owner).
std::pair<std::string, std::string> two_groups_of_one_partition() {
  std::map<int, std::string> first;
  for (int i = 0;; ++i) {
    std::string g = "fn-group-" + std::to_string(i);
    auto [it, inserted] = first.emplace(partition_of(g), g);
    if (!inserted) return {it->second, g};
  }
}

const char* open_template = R"({"kind":"open","group":"{{.Group}}","id":"{{.ID}}","status":"{{.Result.Status}}"})";

std::string config_for(const std::string& bootstrap, const std::string& url, const std::string& tmpl) {
  return cluster_config("hand", bootstrap, log_topic) +
         "cluster-group = \"fn-fleet\"\ncluster-group-session-timeout = 6\npublish-interval = 1\n"
         "\n[storage.default]\nintervals = 5\n\n[warren]\neval-interval = 1\ncoalesce-ms = 50\n\n"
         "[notifier.pager]\nclass-name = \"http\"\nurl-open = \"" +
         url + "/open/{{.Group}}\"\nurl-close = \"" + url + "/close/{{.Group}}\"\ntemplate-open = \"" + tmpl +
         "\"\ntemplate-close = \"" + tmpl + "\"\nsend-close = false\nsend-interval = 3600\n" +
         "group-allowlist = \"^fn-group-\"\n";
}

std::string id_of(const warren_process& w) { return "127.0.0.1:" + std::to_string(w.port()); }

std::string owner_named(const warren_process& w, const std::string& g) {
  auto reply = w.get("/v3/kafka/hand/consumer/" + g + "/status");
  if (reply.status != 200) return "";
  return str(at(parse_json(reply.body), {"status", "warren", "owner"}));
}
std::string status_of(const warren_process& w, const std::string& g) {
  auto reply = w.get("/v3/kafka/hand/consumer/" + g + "/status");
  if (reply.status != 200) return "";
  return str(at(parse_json(reply.body), {"status", "status"}));
}
boost::json::value status_topic(const warren_process& w) {
  return at(parse_json(w.get("/v3/health").body), {"clusters", "hand", "offsets_sources", 0, "status_topic"});
}

// Opens received per group (by URL), with their incident ids.
std::map<std::string, std::vector<std::string>> opens(const http_receiver& rx) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& r : rx.requests())
    if (r.target.starts_with("/open/")) out[r.target.substr(6)].push_back(str(at(boost::json::parse(r.body), {"id"})));
  return out;
}

// Five commits an hour apart ending now at offsets 40..80 of both partitions (OK), then, when
// `rewind`, one commit going back to offset 10: REWIND, the group is ERR.
std::vector<raw_record> commits(const std::string& g, std::int64_t now, bool rewind) {
  std::vector<raw_record> r;
  if (!rewind) {
    for (int i = 0; i < 5; ++i)
      for (int p = 0; p < 2; ++p) r.push_back(commit_record(g, "fn-data", p, 40 + 10 * i, now - 3'600'000 + 900'000 * i));
  } else {
    for (int p = 0; p < 2; ++p) r.push_back(commit_record(g, "fn-data", p, 10, now));
  }
  return r;
}

// The data topic (2 partitions of 100 records) and the hand-made offsets topic; returns the
// producer of offsets records.
raw_producer topics_with_data(kafka_cluster& kafka) {
  kafka.create_topic("fn-data", 2);
  kafka.create_topic(log_topic, log_partitions);
  producer(kafka.bootstrap()).produce("fn-data", 0, 100);
  producer(kafka.bootstrap()).produce("fn-data", 1, 100);
  return raw_producer(kafka.bootstrap());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fleet_notify)

BOOST_AUTO_TEST_CASE(one_open_per_incident_across_a_sigkill_of_the_owner) {
  const auto [group_a, group_b] = two_groups_of_one_partition();
  kafka_cluster kafka;
  raw_producer offsets = topics_with_data(kafka);
  const auto t0 = warren::wall_now_ms();
  offsets.send(log_topic, partition_of(group_a), commits(group_a, t0, false));
  offsets.send(log_topic, partition_of(group_a), commits(group_a, t0, true));  // A: ERR from the start
  offsets.send(log_topic, partition_of(group_b), commits(group_b, t0, false));  // B: OK for now

  http_receiver rx;
  const std::string config =
      config_for(kafka.bootstrap(), rx.url(""), write_temp_file("open.tmpl", open_template).string());
  std::vector<std::unique_ptr<warren_process>> fleet;
  for (int i = 0; i < 3; ++i) fleet.push_back(std::make_unique<warren_process>(config));

  // A's owner opens its incident once and publishes it; every instance names that owner.
  BOOST_REQUIRE_MESSAGE(rx.wait_for(1, 60s), fleet[0]->output());
  std::size_t owner = 3;
  BOOST_REQUIRE(poll_until(
      [&] {
        for (std::size_t i = 0; i < fleet.size(); ++i)
          if (owner_named(*fleet[i], group_a) == id_of(*fleet[i])) owner = i;
        if (owner == 3) return false;
        for (const auto& w : fleet)
          if (owner_named(*w, group_a) != id_of(*fleet[owner]) || status_of(*w, group_b) != "OK") return false;
        // Settled: while the start-up rebalances go on, every status may still name an instance
        // that is about to give the group up (whose detail is then a 404): wait until all three
        // members share the partitions.
        std::size_t total = 0;
        for (const auto& w : fleet) {
          const auto n = owned_partition_count(*w, "hand");
          if (n == 0) return false;
          total += n;
        }
        return total == static_cast<std::size_t>(log_partitions) &&
               fleet[owner]->get("/v3/kafka/hand/consumer/" + group_a).status == 200u;
      },
      30s));
  {  // its records so far (the incident's among them) are confirmed by the broker
    const auto published = num(at(status_topic(*fleet[owner]), {"published"}));
    BOOST_REQUIRE(poll_until([&] { return num(at(status_topic(*fleet[owner]), {"delivered"})) >= published; }, 10s));
  }
  // Created by Warren, with the offsets topic's partition count (not auto-created by a producer).
  BOOST_TEST(num(at(status_topic(*fleet[owner]), {"partitions"})) == log_partitions);
  BOOST_TEST(str(at(status_topic(*fleet[owner]), {"topic"})) == "__warren_status_fn-fleet");
  BOOST_TEST(at(status_topic(*fleet[owner]), {"ready"}).as_bool());
  {  // The detail is forwarded to the owner, once: a forwarded request is answered locally.
    const auto& other = *fleet[(owner + 1) % fleet.size()];
    auto forwarded = other.get("/v3/kafka/hand/consumer/" + group_a);
    BOOST_TEST(forwarded.status == 200u, forwarded.body);
    BOOST_TEST(forwarded.headers["x-warren-owner"] == id_of(*fleet[owner]));
    BOOST_TEST(forwarded.body.find("\"owner\":\"" + id_of(*fleet[owner]) + "\"") != std::string::npos, forwarded.body);
    auto again = http_call(other.port(), "GET", "/v3/kafka/hand/consumer/" + group_a, {}, {{"X-Warren-Forwarded", "1"}});
    BOOST_TEST(again.status == 404u, again.body);
  }
  BOOST_TEST(opens(rx)[group_a].size() == 1u);
  const std::string incident_a = opens(rx)[group_a].at(0);

  // SIGKILL the owner; B goes ERR while nobody owns it.
  BOOST_REQUIRE(::kill(fleet[owner]->process().pid(), SIGKILL) == 0);
  BOOST_REQUIRE(fleet[owner]->process().wait_for(10s).has_value());
  const auto killed = std::chrono::steady_clock::now();
  fleet.erase(fleet.begin() + static_cast<long>(owner));
  offsets.send(log_topic, partition_of(group_b), commits(group_b, warren::wall_now_ms(), true));

  // A survivor owns both groups, rates B ERR and opens B's incident, once.
  std::size_t heir = 2;
  BOOST_REQUIRE_MESSAGE(poll_until(
                            [&] {
                              for (std::size_t i = 0; i < fleet.size(); ++i)
                                if (owner_named(*fleet[i], group_a) == id_of(*fleet[i])) heir = i;
                              return heir < 2 && status_of(*fleet[heir], group_b) == "ERR" && rx.count() >= 2;
                            },
                            40s),
                        fleet[0]->output());
  const auto failover_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed).count();
  BOOST_TEST_MESSAGE("new owner notified the incident that began during the failover " << failover_ms
                                                                                        << " ms after SIGKILL");
  BOOST_TEST(fleet[heir]->output().find("adopted hand/" + group_a + " incident " + incident_a) != std::string::npos,
             fleet[heir]->output());
  // Nothing more arrives: A's incident was adopted, B's opened once. (The heir evaluated both
  // groups at least once per eval-interval meanwhile.)
  BOOST_TEST(!poll_until([&] { return rx.count() > 2; }, 5s));
  auto got = opens(rx);
  BOOST_TEST(got[group_a].size() == 1u);
  BOOST_TEST(got[group_b].size() == 1u);
  if (got[group_b].size() == 1u) BOOST_TEST(got[group_b][0] != incident_a);
  BOOST_TEST(rx.count() == 2u);

  // Clean hand-off: the heir stops (SIGTERM: its states flushed, its partitions given back); the
  // last instance adopts both incidents and sends nothing.
  const std::size_t last = 1 - heir;
  BOOST_TEST(fleet[heir]->process().terminate() == 0);
  BOOST_REQUIRE_MESSAGE(poll_until(
                            [&] {
                              return owner_named(*fleet[last], group_a) == id_of(*fleet[last]) &&
                                     owner_named(*fleet[last], group_b) == id_of(*fleet[last]) &&
                                     status_of(*fleet[last], group_b) == "ERR";
                            },
                            30s),
                        fleet[last]->output());
  BOOST_TEST(!poll_until([&] { return rx.count() > 2; }, 5s));
  BOOST_TEST(rx.count() == 2u);
  BOOST_TEST(fleet[last]->output().find("adopted hand/" + group_b + " incident " + got[group_b].at(0)) !=
                 std::string::npos,
             fleet[last]->output());
}

// The owner's periodic scan (sliced, resumed by key) publishes a change that moves no status: a
// new commit that only lowers the lag raises no status event, and still reaches the other instance.
BOOST_AUTO_TEST_CASE(a_lag_only_change_reaches_every_instance) {
  const std::string group = "fn-group-lag";
  kafka_cluster kafka;
  raw_producer offsets = topics_with_data(kafka);
  const auto t0 = warren::wall_now_ms();
  offsets.send(log_topic, partition_of(group), commits(group, t0, false));  // OK, lag 2 × 20

  http_receiver rx;
  const std::string config =
      config_for(kafka.bootstrap(), rx.url(""), write_temp_file("open.tmpl", open_template).string());
  std::vector<std::unique_ptr<warren_process>> fleet;
  for (int i = 0; i < 2; ++i) fleet.push_back(std::make_unique<warren_process>(config));
  auto totallag = [&](const warren_process& w) -> std::int64_t {
    auto reply = w.get("/v3/kafka/hand/consumer/" + group + "/status");
    if (reply.status != 200) return -1;
    return num(at(parse_json(reply.body), {"status", "totallag"}));
  };
  auto everywhere = [&](std::int64_t lag) {
    for (const auto& w : fleet)
      if (totallag(*w) != lag || status_of(*w, group) != "OK") return false;
    return true;
  };
  BOOST_REQUIRE_MESSAGE(poll_until([&] { return everywhere(40); }, 60s), fleet[0]->output());

  for (int p = 0; p < 2; ++p)  // lag 15 per partition: still OK, every partition still OK
    offsets.send(log_topic, partition_of(group), {commit_record(group, "fn-data", p, 85, warren::wall_now_ms())});
  BOOST_REQUIRE_MESSAGE(poll_until([&] { return everywhere(30); }, 30s),
                        "lags " << totallag(*fleet[0]) << " and " << totallag(*fleet[1]));
  BOOST_TEST(rx.count() == 0u);  // nothing to notify: it never left OK
}

BOOST_AUTO_TEST_SUITE_END()
