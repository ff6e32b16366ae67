// Ingest end to end against real brokers: real consumer groups (librdkafka and Kafka's Java
// console consumer, classic and KIP-848 protocols) commit offsets; the real warren binary reads
// __consumer_offsets and the log-end offsets and answers Burrow's API.
#include <boost/test/unit_test.hpp>
#include <chrono>

#include "service/core/clock.hpp"
#include "tests/support/offsets_encode.hpp"
#include "tests/support/json_helpers.hpp"
#include "tests/support/offsets_records.hpp"
#include "tests/support/kafka_harness.hpp"
#include "tests/support/poll_until.hpp"
#include "tests/support/test_clients.hpp"
#include "tests/support/warren_process.hpp"

using namespace warren::test;
using namespace std::chrono_literals;
using warren::poll_until;

namespace {
// The newest non-null stored commit of a partition in `/v3/kafka/C/consumer/G`.
std::int64_t newest_commit(const boost::json::value& detail, const char* topic, int partition) {
  auto offsets = at(detail, {"topics", topic, partition, "offsets"});
  if (!offsets.is_array() || offsets.as_array().empty()) return -1;
  return num(at(offsets.as_array().back(), {"offset"}));
}


bool has_group(const warren_process& w, const std::string& cluster, const std::string& group) {
  return contains_string(at(parse_json(w.get("/v3/kafka/" + cluster + "/consumer").body), {"consumers"}), group);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(ingest)

BOOST_AUTO_TEST_CASE(librdkafka_group_offsets_lag_and_owner) {
  kafka_cluster kafka;
  kafka.create_topic("orders", 2);
  producer p(kafka.bootstrap());
  p.produce("orders", 0, 100);
  p.produce("orders", 1, 50);
  consumer_member member(kafka.bootstrap(), {.group = "billing", .topics = {"orders"}, .client_id = "billing-1"});
  BOOST_REQUIRE(member.wait_for_consumed(150, 60s));
  BOOST_REQUIRE(poll_until([&] { return member.committed("orders", 0) == 100 && member.committed("orders", 1) == 50; }, 30s));

  warren_process w(cluster_config("local", kafka.bootstrap()));
  boost::json::value detail;
  bool seen = poll_until(
      [&] {
        detail = parse_json(w.get("/v3/kafka/local/consumer/billing").body);
        return newest_commit(detail, "orders", 0) == 100 && newest_commit(detail, "orders", 1) == 50 &&
               str(at(detail, {"topics", "orders", 0, "client_id"})) == "billing-1";
      },
      60s);
  BOOST_TEST(seen, detail);
  BOOST_TEST(!str(at(detail, {"topics", "orders", 0, "owner"})).empty());
  BOOST_TEST(num(at(detail, {"topics", "orders", 0, "current-lag"})) == 0);

  // The consumer stops; 30 more messages make a current lag of 30 on partition 0.
  member.stop();
  p.produce("orders", 0, 30);
  boost::json::value lag;
  BOOST_TEST(poll_until(
                 [&] {
                   lag = parse_json(w.get("/v3/kafka/local/consumer/billing/lag").body);
                   return num(at(lag, {"status", "partitions", 0, "current_lag"})) == 30 &&
                          num(at(lag, {"status", "totallag"})) == 30;
                 },
                 30s),
             lag);
  BOOST_TEST(str(at(lag, {"status", "partitions", 0, "topic"})) == "orders");
  BOOST_TEST(num(at(lag, {"status", "partition_count"})) == 2);
  auto topic = parse_json(w.get("/v3/kafka/local/topic/orders").body);
  BOOST_TEST(num(at(topic, {"offsets", 0})) == 130);
  BOOST_TEST(num(at(topic, {"offsets", 1})) == 50);
  auto consumers = parse_json(w.get("/v3/kafka/local/topic/orders/consumers").body);
  BOOST_TEST(contains_string(at(consumers, {"consumers"}), "billing"));
}

BOOST_AUTO_TEST_CASE(java_console_consumers_classic_and_kip848) {
  kafka_cluster kafka;
  kafka.create_topic("clicks", 1);
  producer p(kafka.bootstrap());
  p.produce("clicks", 0, 20);
  warren_process w(cluster_config("local", kafka.bootstrap()));
  auto classic = kafka.spawn_tool(console_consumer_class,
                                  {"--bootstrap-server", kafka.bootstrap(), "--topic", "clicks", "--group",
                                   "java-classic", "--from-beginning", "--consumer-property",
                                   "auto.commit.interval.ms=500"});
  auto modern = kafka.spawn_tool(console_consumer_class,
                                 {"--bootstrap-server", kafka.bootstrap(), "--topic", "clicks", "--group",
                                  "java-kip848", "--from-beginning", "--consumer-property", "group.protocol=consumer",
                                  "--consumer-property", "auto.commit.interval.ms=500"});
  for (const char* group : {"java-classic", "java-kip848"}) {
    boost::json::value detail;
    bool seen = poll_until(
        [&] {
          detail = parse_json(w.get(std::string("/v3/kafka/local/consumer/") + group).body);
          return newest_commit(detail, "clicks", 0) == 20;
        },
        90s, 200ms);
    BOOST_TEST(seen, group << ": " << detail << "\nclassic: " << classic.output() << "\nkip848: " << modern.output());
  }
  // Classic groups carry their owners in group metadata.
  auto classic_detail = parse_json(w.get("/v3/kafka/local/consumer/java-classic").body);
  BOOST_TEST(!str(at(classic_detail, {"topics", "clicks", 0, "owner"})).empty(), classic_detail);
}

BOOST_AUTO_TEST_CASE(two_clusters_in_one_process) {
  kafka_cluster east, west;
  east.create_topic("t", 1);
  west.create_topic("t", 1);
  producer(east.bootstrap()).produce("t", 0, 10);
  producer(west.bootstrap()).produce("t", 0, 20);
  consumer_member a(east.bootstrap(), {.group = "east-group", .topics = {"t"}});
  consumer_member b(west.bootstrap(), {.group = "west-group", .topics = {"t"}});
  BOOST_REQUIRE(a.wait_for_consumed(10, 60s));
  BOOST_REQUIRE(b.wait_for_consumed(20, 60s));
  warren_process w(cluster_config("east", east.bootstrap()) + cluster_config("west", west.bootstrap()));
  BOOST_TEST(poll_until(
      [&] {
        return newest_commit(parse_json(w.get("/v3/kafka/east/consumer/east-group").body), "t", 0) == 10 &&
               newest_commit(parse_json(w.get("/v3/kafka/west/consumer/west-group").body), "t", 0) == 20;
      },
      60s));
  BOOST_TEST(!has_group(w, "east", "west-group"));
  BOOST_TEST(!has_group(w, "west", "east-group"));
  auto clusters = parse_json(w.get("/v3/kafka").body);
  BOOST_TEST(contains_string(at(clusters, {"clusters"}), "east"));
  BOOST_TEST(contains_string(at(clusters, {"clusters"}), "west"));
}

BOOST_AUTO_TEST_CASE(deleted_group_and_deleted_topic_disappear) {
  kafka_cluster kafka;
  kafka.create_topic("short-lived", 1);
  kafka.create_topic("kept", 1);
  producer p(kafka.bootstrap());
  p.produce("short-lived", 0, 5);
  p.produce("kept", 0, 5);
  {
    consumer_member gone(kafka.bootstrap(), {.group = "to-delete", .topics = {"kept"}});
    consumer_member topical(kafka.bootstrap(), {.group = "topic-reader", .topics = {"short-lived"}});
    BOOST_REQUIRE(gone.wait_for_consumed(5, 60s));
    BOOST_REQUIRE(topical.wait_for_consumed(5, 60s));
    BOOST_REQUIRE(poll_until([&] { return gone.committed("kept", 0) == 5 && topical.committed("short-lived", 0) == 5; }, 30s));
  }  // both leave their groups
  warren_process w(cluster_config("local", kafka.bootstrap()));
  BOOST_REQUIRE(poll_until([&] { return has_group(w, "local", "to-delete") && has_group(w, "local", "topic-reader"); }, 60s));

  // Kafka's consumer-groups tool deletes the group: its tombstone removes it from Warren.
  auto r = kafka.run_tool(consumer_groups_class, {"--bootstrap-server", kafka.bootstrap(), "--delete", "--group", "to-delete"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  BOOST_TEST(poll_until([&] { return !has_group(w, "local", "to-delete"); }, 30s));
  BOOST_TEST(w.get("/v3/kafka/local/consumer/to-delete/lag").status == 404u);

  // A deleted topic leaves the topic list and takes its only group with it (Burrow #426 kept it).
  kafka.delete_topic("short-lived");
  BOOST_TEST(poll_until(
      [&] { return !contains_string(at(parse_json(w.get("/v3/kafka/local/topic").body), {"topics"}), "short-lived"); },
      30s));
  BOOST_TEST(poll_until([&] { return !has_group(w, "local", "topic-reader"); }, 30s));
  BOOST_TEST(contains_string(at(parse_json(w.get("/v3/kafka/local/topic").body), {"topics"}), "kept"));
}

BOOST_AUTO_TEST_CASE(broker_restart_is_reported_and_ingestion_resumes) {
  kafka_cluster kafka;
  kafka.create_topic("events", 1);
  producer(kafka.bootstrap()).produce("events", 0, 40);
  warren_process w(cluster_config("local", kafka.bootstrap()));
  {
    consumer_member m(kafka.bootstrap(), {.group = "resilient", .topics = {"events"}});
    BOOST_REQUIRE(m.wait_for_consumed(40, 60s));
    BOOST_REQUIRE(poll_until(
        [&] { return newest_commit(parse_json(w.get("/v3/kafka/local/consumer/resilient").body), "events", 0) == 40; },
        60s));
  }
  kafka.stop();
  boost::json::value cluster;
  BOOST_TEST(poll_until(
                 [&] {
                   cluster = parse_json(w.get("/v3/kafka/local").body);
                   return at(cluster, {"warren", "reachable"}) == boost::json::value(false);
                 },
                 60s),
             cluster);
  BOOST_TEST(!str(at(cluster, {"warren", "last-error"})).empty());
  BOOST_TEST(w.get("/burrow/admin").body == "GOOD");  // Warren itself stays up

  kafka.start();
  producer(kafka.bootstrap()).produce("events", 0, 25);
  // Commits every 5 s, so the window keeps the pre-outage commits next to the new one.
  consumer_member again(kafka.bootstrap(),
                        {.group = "resilient", .topics = {"events"}, .commit_interval = std::chrono::seconds(5)});
  BOOST_REQUIRE(again.wait_for_consumed(25, 90s));
  boost::json::value detail;
  BOOST_TEST(poll_until(
                 [&] {
                   detail = parse_json(w.get("/v3/kafka/local/consumer/resilient").body);
                   return newest_commit(detail, "events", 0) == 65;
                 },
                 90s),
             detail);
  // The commit from before the outage is still in the window: nothing was lost.
  bool has_40 = false;
  auto window = at(detail, {"topics", "events", 0, "offsets"});
  if (window.is_array())
    for (const auto& o : window.as_array())
      if (o.is_object() && num(at(o, {"offset"})) == 40) has_40 = true;
  BOOST_TEST(has_40, detail);
  BOOST_TEST(poll_until([&] { return at(parse_json(w.get("/v3/kafka/local").body), {"warren", "reachable"}) == boost::json::value(true); }, 30s));
}

BOOST_AUTO_TEST_CASE(start_latest_reaper_and_group_filters) {
  kafka_cluster kafka;
  kafka.create_topic("data", 1);
  kafka.create_topic("offsets", 2);
  producer(kafka.bootstrap()).produce("data", 0, 10);
  raw_producer raw(kafka.bootstrap());
  raw.send("offsets", 0, commit_record("before-start", "data", 0, 3, warren::wall_now_ms()));

  // start-latest: history is skipped; the denylist drops matching groups; the reaper removes
  // groups the cluster does not know (these hand-made ones) every second.
  std::string cfg = "[cluster.local]\nservers = [\"" + kafka.bootstrap() +
        "\"]\noffset-refresh = 1\ntopic-refresh = 2\ngroups-reaper-refresh = 3\n\n"
        "[consumer.local]\ncluster = \"local\"\nservers = [\"" + kafka.bootstrap() +
        "\"]\noffsets-topic = \"offsets\"\nstart-latest = true\ngroup-denylist = \"^ignored-\"\n";
  warren_process w(cfg);
  BOOST_REQUIRE(poll_until([&] { return w.get("/burrow/admin/ready").body == "READY"; }, 60s));
  raw.send("offsets", 1, commit_record("after-start", "data", 0, 7, warren::wall_now_ms()));
  raw.send("offsets", 1, commit_record("ignored-group", "data", 0, 7, warren::wall_now_ms()));
  BOOST_TEST(poll_until([&] { return has_group(w, "local", "after-start"); }, 30s));
  BOOST_TEST(!has_group(w, "local", "before-start"));
  BOOST_TEST(!has_group(w, "local", "ignored-group"));
  // Kafka knows no group "after-start" (it was never a real group): the reaper removes it.
  BOOST_TEST(poll_until([&] { return !has_group(w, "local", "after-start"); }, 30s));
  // Burrow's own self-reporting group is never reaped.
  BOOST_TEST(has_group(w, "local", "burrow-local"));
}

BOOST_AUTO_TEST_CASE(self_reporting_group_tracks_the_readers_position_and_can_be_turned_off) {
  kafka_cluster kafka;
  kafka.create_topic("orders", 1);
  commit_all_and_leave(kafka.bootstrap(), "billing", "orders", 10);

  // Burrow's `burrow-<consumer name>`: the reader's next offset per offsets-topic partition.
  warren_process w(cluster_config("local", kafka.bootstrap()));
  BOOST_REQUIRE(poll_until([&] { return has_group(w, "local", "burrow-local"); }, 60s));
  boost::json::value lag;
  BOOST_TEST(poll_until(
                 [&] {
                   lag = parse_json(w.get("/v3/kafka/local/consumer/burrow-local/lag").body);
                   // Every offsets-topic partition is listed; those with records (the one holding
                   // billing's commits at least) have the reader's next offset as their commit.
                   const auto parts = at(lag, {"status", "partitions"});
                   if (!parts.is_array() || parts.as_array().size() != 8) return false;
                   int read = 0;
                   for (const auto& part : parts.as_array()) {
                     if (str(at(part, {"topic"})) != "__consumer_offsets") return false;
                     if (num(at(part, {"end", "offset"})) > 0) ++read;
                   }
                   return read >= 1;
                 },
                 60s),
             lag);
  // Once replayed the reader is at the log end: no lag on its own partitions.
  BOOST_TEST(poll_until(
      [&] {
        lag = parse_json(w.get("/v3/kafka/local/consumer/burrow-local/lag").body);
        return num(at(lag, {"status", "totallag"})) == 0 && str(at(lag, {"status", "status"})) == "OK";
      },
      60s));
  // The commit of the group it read is in the offsets topic partition the reader reports.
  auto consumers = parse_json(w.get("/v3/kafka/local/topic/__consumer_offsets/consumers").body);
  BOOST_TEST(contains_string(at(consumers, {"consumers"}), "burrow-local"));

  auto off = cluster_config("local", kafka.bootstrap());
  off.insert(off.find("offsets-topic"), "self-report = false\n");  // inside [consumer.local]
  warren_process quiet(off);
  BOOST_REQUIRE(poll_until([&] { return has_group(quiet, "local", "billing"); }, 60s));
  BOOST_TEST(!has_group(quiet, "local", "burrow-local"));
}

BOOST_AUTO_TEST_SUITE_END()
