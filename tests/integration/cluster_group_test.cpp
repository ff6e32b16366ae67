// Instances share the offsets topic through a Kafka consumer group (issue 14 part 1): one broker,
// hand-made commits over a 6-partition offsets topic (each group in the partition Kafka's
// coordinator would write it to), a reference Warren that reads every partition, and three Warren
// instances with the same cluster-group. Stable: the instances own disjoint partitions covering
// the topic, each answers exactly the groups of its partitions, with the reference's /status and
// /lag. SIGKILL one: within 30 s the survivors own everything and answer every group. Restart it:
// the work spreads again, and an instance that gave a partition up no longer answers its groups.
#include <signal.h>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "service/core/clock.hpp"
#include "service/storage/snapshot.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/fleet_helpers.hpp"
#include "tests/support/json_helpers.hpp"
#include "tests/support/kafka_harness.hpp"
#include "tests/support/offsets_records.hpp"
#include "tests/support/poll_until.hpp"
#include "tests/support/test_clients.hpp"
#include "tests/support/warren_process.hpp"
#include "tests/support/ws_client.hpp"

using namespace warren::test;
using namespace std::chrono_literals;
using warren::poll_until;

namespace {

constexpr const char* log_topic = "cg-log";
constexpr int log_partitions = 6;
constexpr int fleet_size = 3;
constexpr std::int64_t records_per_partition = 20;  // two groups of 5 commits to 2 partitions each

// Two groups in every offsets partition, by the name's Java hashCode as Kafka places them.
const std::vector<std::string> groups = groups_spread("cg-group-", log_partitions, 2);
int partition_of(const std::string& g) { return warren::snapshot::offsets_partition_for(g, log_partitions); }

std::string base_config(const std::string& bootstrap, const std::string& consumer_extra) {
  // cluster_config ends with the [consumer.hand] table: its extra keys follow it.
  return cluster_config("hand", bootstrap, log_topic) + consumer_extra +
         "\n[storage.default]\nintervals = 5\n\n[warren]\neval-interval = 1\ncoalesce-ms = 50\n";
}
std::string fleet_config(const std::string& bootstrap) {
  return base_config(bootstrap, "cluster-group = \"cg-fleet\"\ncluster-group-session-timeout = 6\n");
}

// Warren's own fields (time lag, evaluation time) and the time a commit was stored differ between
// instances by construction: left out of comparisons, as is Burrow's echo of the request.
void drop_instance_fields(boost::json::value& v) {
  if (v.is_object()) {
    v.as_object().erase("warren");
    v.as_object().erase("observedAt");
    v.as_object().erase("request");
    for (auto& [k, e] : v.as_object()) drop_instance_fields(e);
  } else if (v.is_array()) {
    for (auto& e : v.as_array()) drop_instance_fields(e);
  }
}

std::string answer(const warren_process& w, const std::string& target) {
  auto reply = w.get(target);
  if (reply.status != 200) return "HTTP " + std::to_string(reply.status);
  auto v = parse_json(reply.body);
  drop_instance_fields(v);
  return boost::json::serialize(v);
}

// The hand-made groups a Warren lists (the self-reporting burrow-hand is per instance by design).
std::set<std::string> listed(const warren_process& w) {
  std::set<std::string> out;
  auto v = parse_json(w.get("/v3/kafka/hand/consumer").body);
  auto list = at(v, {"consumers"});
  if (list.is_array())
    for (const auto& g : list.as_array())
      if (g.is_string() && g.as_string().starts_with("cg-group-")) out.insert(std::string(g.as_string()));
  return out;
}

// offsets_sources[0] of cluster hand in /v3/health.
boost::json::value source_of(const warren_process& w) {
  return at(parse_json(w.get("/v3/health").body), {"clusters", "hand", "offsets_sources", 0});
}
std::set<int> owned(const warren_process& w) {
  std::set<int> out;
  auto list = at(source_of(w), {"owned_partitions"});
  if (list.is_array())
    for (const auto& p : list.as_array()) out.insert(static_cast<int>(num(p)));
  return out;
}
bool ready(const warren_process& w) { return w.get("/burrow/admin/ready").status == 200; }

struct fleet_env {
  kafka_cluster kafka;
  std::int64_t t0 = warren::wall_now_ms();

  fleet_env() {
    kafka.create_topic("cg-data", 2);
    kafka.create_topic(log_topic, log_partitions);
    producer data(kafka.bootstrap());
    data.produce("cg-data", 0, 100);
    data.produce("cg-data", 1, 100);
    raw_producer commits(kafka.bootstrap());
    // Windows spanning the last hour, so no rule changes its verdict while the test runs; the lag
    // differs per group (20 - g % 7 per partition).
    for (std::size_t g = 0; g < groups.size(); ++g) {
      std::vector<raw_record> r;
      for (int i = 0; i < 5; ++i)
        for (int p = 0; p < 2; ++p)
          r.push_back(commit_record(groups[g], "cg-data", p, 40 + 10 * i + static_cast<int>(g % 7),
                                    t0 - 3'600'000 + 900'000 * i));
      commits.send(log_topic, partition_of(groups[g]), r);
    }
  }
};

// What one instance answers for a group: its /status, /lag and detail (issue 14 part 2: from any
// instance; the detail of a group another instance owns is forwarded there).
std::string answers_of(const warren_process& w, const std::string& g) {
  const std::string base = "/v3/kafka/hand/consumer/" + g;
  return answer(w, base + "/status") + "\n" + answer(w, base + "/lag") + "\n" + answer(w, base);
}

// Issue 14 part 2: the owner an instance names for a group (status.warren.owner), "" when none.
std::string owner_named(const warren_process& w, const std::string& g) {
  auto reply = w.get("/v3/kafka/hand/consumer/" + g + "/status");
  if (reply.status != 200) return "";
  auto o = at(parse_json(reply.body), {"status", "warren", "owner"});
  return o.is_string() ? std::string(o.as_string()) : std::string();
}
std::string id_of(const warren_process& w) { return "127.0.0.1:" + std::to_string(w.port()); }

// Why the instances are not (yet) sharing the topic as they should: "" when they are. Every
// partition owned by exactly one instance, each instance owning at least `min_owned`, each listing
// exactly the groups of its partitions and answering them as the reference does.
std::string sharing_problem(const std::vector<const warren_process*>& instances,
                            const std::map<std::string, std::string>& reference, std::size_t min_owned) {
  std::map<int, int> owners;
  for (std::size_t i = 0; i < instances.size(); ++i) {
    const auto& w = *instances[i];
    if (!ready(w)) return "instance " + std::to_string(i) + " not ready";
    const auto mine = owned(w);
    if (mine.size() < min_owned) return "instance " + std::to_string(i) + " owns " + std::to_string(mine.size());
    // Caught up on exactly its partitions: their log ends (records_per_partition each) are its target.
    auto health = at(parse_json(w.get("/v3/health").body), {"clusters", "hand"});
    const auto target = static_cast<std::int64_t>(mine.size()) * records_per_partition;
    if (!at(health, {"offsets_caught_up"}).is_bool() || !at(health, {"offsets_caught_up"}).as_bool() ||
        num(at(health, {"replay_target"})) != target || num(at(health, {"replay_position"})) != target)
      return "instance " + std::to_string(i) + " health " + boost::json::serialize(health) + ", want target " +
             std::to_string(target);
    for (int p : mine) ++owners[p];
    std::set<std::string> want;
    for (const auto& g : groups)
      if (mine.count(partition_of(g))) want.insert(g);
    // Issue 14 part 2: every instance lists and answers every group as the reference does, and
    // names itself as the owner exactly of the groups of its partitions.
    if (listed(w) != std::set<std::string>(groups.begin(), groups.end()))
      return "instance " + std::to_string(i) + " does not list every group";
    for (const auto& g : groups) {
      const std::string got = answers_of(w, g);
      if (got != reference.at(g)) return "instance " + std::to_string(i) + " answers " + g + ": " + got;
      const std::string owner = owner_named(w, g);
      if (want.count(g) && owner != id_of(w))
        return "instance " + std::to_string(i) + " names " + owner + " as the owner of its own group " + g;
      if (!want.count(g) && (owner == id_of(w) || owner.empty()))
        return "instance " + std::to_string(i) + " names " + owner + " as the owner of " + g + " it does not own";
    }
  }
  for (int p = 0; p < log_partitions; ++p)
    if (owners[p] != 1) return "partition " + std::to_string(p) + " has " + std::to_string(owners[p]) + " owners";
  return {};
}

std::string wait_sharing(const std::vector<const warren_process*>& instances,
                         const std::map<std::string, std::string>& reference, std::size_t min_owned,
                         std::chrono::milliseconds deadline) {
  std::string problem = "not checked";
  poll_until([&] { return (problem = sharing_problem(instances, reference, min_owned)).empty(); }, deadline, 250ms);
  return problem;
}

// A rebalance line naming at least one lost partition.
bool logged_a_loss(const std::string& log) {
  const std::string mark = "rebalanced: lost [";
  for (auto at_ = log.find(mark); at_ != std::string::npos; at_ = log.find(mark, at_ + 1)) {
    const char c = at_ + mark.size() < log.size() ? log[at_ + mark.size()] : ']';
    if (c >= '0' && c <= '9') return true;
  }
  return false;
}

// The log lines about the cluster-group (joins, rebalances, catching up).
std::string group_lines(const std::string& log) {
  std::string out;
  std::size_t from = 0;
  while (from < log.size()) {
    auto end = log.find('\n', from);
    if (end == std::string::npos) end = log.size();
    const auto line = log.substr(from, end - from);
    if (line.find("cluster-group") != std::string::npos || line.find("caught up") != std::string::npos)
      out += "  " + line + "\n";
    from = end + 1;
  }
  return out;
}

// Once `w` owns every partition and rates every group OK over 2 partitions: its answers, per group.
std::map<std::string, std::string> settled_answers(const warren_process& w) {
  std::map<std::string, std::string> out;
  const bool settled = poll_until(
      [&] {
        if (!ready(w) || owned(w).size() != static_cast<std::size_t>(log_partitions)) return false;
        for (const auto& g : groups) {
          auto lag = parse_json(w.get("/v3/kafka/hand/consumer/" + g + "/lag").body);
          if (str(at(lag, {"status", "status"})) != "OK" || num(at(lag, {"status", "partition_count"})) != 2)
            return false;
          out[g] = answers_of(w, g);
        }
        return true;
      },
      30s);
  if (!settled) out.clear();
  return out;
}

// Issue 14 part 2: the stream of any instance carries every group, each naming its owner. The
// owner each hand-made group's latest status names in what `c` received so far (snapshot parts,
// then status changes); a removed group is recorded as "removed".
void take_stream(ws_test_client& c, std::map<std::string, std::string>& owners) {
  auto note = [&](const boost::json::value& st) {
    const std::string g = str(at(st, {"group"}));
    if (g.rfind("cg-group-", 0) == 0) owners[g] = str(at(st, {"warren", "owner"}));
  };
  c.run_for(std::chrono::milliseconds(50));  // the client's io_context runs only inside its calls
  while (auto m = c.read_json(std::chrono::milliseconds(0))) {
    const std::string type = str(at(*m, {"type"}));
    if (type == "snapshot") {
      const auto statuses = at(*m, {"statuses"});  // `at` returns a copy: keep it while iterating
      if (statuses.is_array())
        for (const auto& st : statuses.as_array()) note(st);
    } else if (type == "status")
      note(at(*m, {"status"}));
    else if (type == "removed")
      owners[str(at(*m, {"group"}))] = "removed";
  }
}

// Why the stream's owners differ from what `w` answers over HTTP: "" when they agree for every group.
std::string stream_problem(const warren_process& w, const std::map<std::string, std::string>& streamed) {
  for (const auto& g : groups) {
    auto it = streamed.find(g);
    if (it == streamed.end()) return g + " not streamed";
    if (it->second != owner_named(w, g)) return g + " streamed with owner " + it->second + ", /status names " + owner_named(w, g);
  }
  return {};
}

long long ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cluster_group)

BOOST_AUTO_TEST_CASE(instances_split_the_offsets_topic_fail_over_and_spread_again) {
  BOOST_REQUIRE_EQUAL(groups.size(), static_cast<std::size_t>(2 * log_partitions));
  fleet_env env;

  // The reference: one instance reading every partition (no cluster-group), as before.
  std::map<std::string, std::string> reference;
  {
    warren_process ref(base_config(env.kafka.bootstrap(), ""));
    reference = settled_answers(ref);
    BOOST_REQUIRE_EQUAL(reference.size(), groups.size());
    BOOST_TEST(str(at(source_of(ref), {"cluster_group"})) == "");
    BOOST_TEST(reference.at(groups[0]).find("\"totallag\":") != std::string::npos, reference.at(groups[0]));
  }

  // Three instances of one cluster-group.
  const std::string config = fleet_config(env.kafka.bootstrap());
  std::vector<std::unique_ptr<warren_process>> fleet;
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < fleet_size; ++i) fleet.push_back(std::make_unique<warren_process>(config));
  auto all = [&] {
    std::vector<const warren_process*> out;
    for (const auto& w : fleet)
      if (w) out.push_back(w.get());
    return out;
  };
  {
    const std::string problem = wait_sharing(all(), reference, 1, 45s);
    BOOST_REQUIRE_MESSAGE(problem.empty(), problem << "\n--- instance 0 log:\n" << fleet[0]->output());
    BOOST_TEST_MESSAGE("three instances share the 6 partitions after " << ms_since(started) << " ms");
    BOOST_TEST(str(at(source_of(*fleet[0]), {"cluster_group"})) == "cg-fleet");
    auto metrics = fleet[0]->get("/metrics").body;
    BOOST_TEST(metrics.find("warren_offsets_partitions_owned{consumer=\"hand\",cluster=\"hand\"} " +
                            std::to_string(owned(*fleet[0]).size())) != std::string::npos);
    // Issue 14: the status topic's series; every instance reads every group's record.
    const std::string topic_labels = "consumer=\"hand\",cluster=\"hand\",topic=\"__warren_status_cg-fleet\"";
    BOOST_TEST(metrics.find("warren_status_topic_ready{" + topic_labels + "} 1\n") != std::string::npos, metrics);
    {  // every hand-made group's record, plus whatever the instances report about themselves
      const std::string series = "warren_status_topic_groups{" + topic_labels + "} ";
      const auto at_ = metrics.find(series);
      BOOST_TEST_REQUIRE(at_ != std::string::npos, metrics);
      BOOST_TEST(std::stoull(metrics.substr(at_ + series.size())) >= groups.size());
    }
    BOOST_TEST(metrics.find("warren_status_topic_records_total{" + topic_labels + ",outcome=\"published\"} 0\n") ==
               std::string::npos, "instance 0 published records");
    BOOST_TEST(fleet[1]->output().find("cluster-group cg-fleet rebalanced: lost [], gained [") != std::string::npos,
               fleet[1]->output());
  }
  // The stream of instance 1: every group, each naming the owner its HTTP answers name.
  ws_test_client stream(fleet[1]->port());
  stream.send(R"({"type":"subscribe","id":"cg","pattern":"^cg-group-","detail":"full"})");
  std::map<std::string, std::string> streamed;
  {
    std::string problem = "not checked";
    BOOST_TEST(poll_until([&] {
      take_stream(stream, streamed);
      return (problem = stream_problem(*fleet[1], streamed)).empty();
    }, 10s), problem);
  }

  // SIGKILL one: no goodbye to the group; its partitions move after the session timeout.
  const auto victim_owned = owned(*fleet[0]);
  const std::string victim_id = id_of(*fleet[0]);
  BOOST_REQUIRE(::kill(fleet[0]->process().pid(), SIGKILL) == 0);
  BOOST_REQUIRE(fleet[0]->process().wait_for(10s).has_value());
  const auto killed = std::chrono::steady_clock::now();
  {  // Issue 14 part 2: until the rebalance moves them, its groups' details answer 503 naming it.
    std::string victim_group;
    for (const auto& g : groups)
      if (victim_owned.count(partition_of(g))) victim_group = g;
    BOOST_REQUIRE(!victim_group.empty());
    auto reply = fleet[1]->get("/v3/kafka/hand/consumer/" + victim_group);
    if (ms_since(killed) < 5000) {  // session timeout 6 s: the partitions have not moved yet
      BOOST_TEST(reply.status == 503u, reply.body);
      BOOST_TEST(reply.body.find(victim_id) != std::string::npos, reply.body);
      BOOST_TEST(at(parse_json(reply.body), {"error"}).is_bool(), reply.body);
      // Counted with the answer it got, not as the forward's placeholder 200.
      const auto metrics = fleet[1]->get("/metrics").body;
      BOOST_TEST(metrics.find("warren_http_requests_total{route=\"GET /v3/kafka/:cluster/consumer/:consumer\","
                              "code=\"503\"} ") != std::string::npos, metrics);
    }
    // Its /status is still answered (from the status topic), naming it.
    BOOST_TEST(owner_named(*fleet[2], victim_group) == victim_id);
  }
  fleet[0].reset();
  {
    const std::string problem = wait_sharing(all(), reference, 1, 30s);
    BOOST_REQUIRE_MESSAGE(problem.empty(), problem << "\n--- instance 1 log:\n" << fleet[1]->output());
    BOOST_TEST_MESSAGE("failover: the survivors answer every group " << ms_since(killed) << " ms after SIGKILL of the owner of "
                                                                       << victim_owned.size() << " partitions");
    // The stream followed: the victim's groups now name their new owners, none was removed.
    std::string stream_issue = "not checked";
    BOOST_TEST(poll_until([&] {
      take_stream(stream, streamed);
      return (stream_issue = stream_problem(*fleet[1], streamed)).empty();
    }, 10s), stream_issue);
    for (const auto& [g, owner] : streamed) BOOST_TEST(owner != victim_id, g);
  }

  // Restart it: the group spreads the partitions again; the survivors drop the groups they gave up.
  const auto restarted = std::chrono::steady_clock::now();
  fleet[0] = std::make_unique<warren_process>(config);
  {
    const std::string problem = wait_sharing(all(), reference, 1, 30s);
    BOOST_REQUIRE_MESSAGE(problem.empty(), problem << "\n--- instance 0 log:\n" << fleet[0]->output());
    BOOST_TEST_MESSAGE("restarted instance shares the work again after " << ms_since(restarted) << " ms");
  }
  for (int i = 0; i < fleet_size; ++i) BOOST_TEST_MESSAGE("instance " << i << ":\n" << group_lines(fleet[i]->output()));
  std::size_t gave_up = 0;
  for (int i = 1; i < fleet_size; ++i)
    if (logged_a_loss(fleet[i]->output())) ++gave_up;
  BOOST_TEST(gave_up >= 1u, "a survivor logged the partitions it gave up");
}

// With [warren] state-dir: a lone member restarted resumes every partition from its snapshot; one
// that rejoins while another owns everything drops what it restored (its first assignment is
// empty) and reads its new share from the beginning, so no group is answered twice.
BOOST_AUTO_TEST_CASE(snapshot_positions_are_used_for_partitions_given_back_and_dropped_otherwise) {
  fleet_env env;
  const auto state_dir = write_temp_file("placeholder", "").parent_path() / "state";
  const std::string with_snapshot =
      fleet_config(env.kafka.bootstrap()) + "state-dir = \"" + state_dir.string() + "\"\nsnapshot-interval = 3600\n";
  auto a = std::make_unique<warren_process>(with_snapshot);
  const auto reference = settled_answers(*a);
  BOOST_REQUIRE_EQUAL(reference.size(), groups.size());

  // Alone again after a restart: the group gives it every partition back, resumed, nothing to read.
  BOOST_TEST(a->process().terminate() == 0);
  a = std::make_unique<warren_process>(with_snapshot);
  {
    const std::string problem = wait_sharing({a.get()}, reference, log_partitions, 30s);
    BOOST_REQUIRE_MESSAGE(problem.empty(), problem << "\n" << a->output());
  }
  BOOST_TEST(a->output().find("(6 resumed where they were read to, 0 restored ones dropped), 0 records to read") !=
                 std::string::npos,
             group_lines(a->output()));

  // A second member takes half; the first leaves (its snapshot now holds its half) and rejoins
  // while the second owns everything.
  auto b = std::make_unique<warren_process>(fleet_config(env.kafka.bootstrap()));
  {
    const std::string problem = wait_sharing({a.get(), b.get()}, reference, 1, 30s);
    BOOST_REQUIRE_MESSAGE(problem.empty(), problem << "\n" << a->output());
  }
  BOOST_TEST(a->process().terminate() == 0);
  a.reset();
  {
    const std::string problem = wait_sharing({b.get()}, reference, log_partitions, 30s);
    BOOST_REQUIRE_MESSAGE(problem.empty(), problem << "\n" << b->output());
  }
  a = std::make_unique<warren_process>(with_snapshot);
  {
    const std::string problem = wait_sharing({a.get(), b.get()}, reference, 1, 30s);
    BOOST_REQUIRE_MESSAGE(problem.empty(), problem << "\n" << group_lines(a->output()));
  }
  BOOST_TEST_MESSAGE("rejoined member:\n" << group_lines(a->output()));
}

// A reader that fails is restarted with a new client, i.e. as a new member: what it owned is
// dropped unless the group gives it back, and the two members again share without overlap.
BOOST_AUTO_TEST_CASE(a_restarted_reader_rejoins_as_a_new_member) {
  fleet_env env;
  const std::string config = fleet_config(env.kafka.bootstrap());
  ::setenv("WARREN_FAULT_INJECTION", "1", 1);
  std::unique_ptr<warren_process> a;
  try {
    a = std::make_unique<warren_process>(config);
  } catch (...) {
    ::unsetenv("WARREN_FAULT_INJECTION");
    throw;
  }
  ::unsetenv("WARREN_FAULT_INJECTION");
  const auto reference = settled_answers(*a);
  BOOST_REQUIRE_EQUAL(reference.size(), groups.size());
  auto b = std::make_unique<warren_process>(config);
  {
    const std::string problem = wait_sharing({a.get(), b.get()}, reference, 1, 30s);
    BOOST_REQUIRE_MESSAGE(problem.empty(), problem);
  }
  auto r = http_call(a->port(), "POST", "/v3/admin/fault/offsets_reader/hand");
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
  BOOST_REQUIRE(poll_until([&] { return a->output().find("rejoining cluster-group cg-fleet") != std::string::npos; }, 20s));
  {
    const std::string problem = wait_sharing({a.get(), b.get()}, reference, 1, 30s);
    BOOST_REQUIRE_MESSAGE(problem.empty(), problem << "\n" << group_lines(a->output()));
  }
  BOOST_TEST_MESSAGE("restarted member:\n" << group_lines(a->output()));
}

// The real thing: two members of a cluster-group on __consumer_offsets (8 partitions here) with a
// real consumer group committing: the partitions are split, and both list the real group, each
// naming the owner of its partition (issue 14 part 2: the other answers from the status topic).
BOOST_AUTO_TEST_CASE(members_share_the_real_consumer_offsets_topic) {
  kafka_cluster kafka;
  kafka.create_topic("cg-real-data", 1);
  producer(kafka.bootstrap()).produce("cg-real-data", 0, 10);
  consumer_member member(kafka.bootstrap(), {.group = "cg-real", .topics = {"cg-real-data"}});
  BOOST_REQUIRE(member.wait_for_consumed(10, 60s));
  const std::string config = cluster_config("real", kafka.bootstrap()) +
                             "cluster-group = \"cg-real-fleet\"\ncluster-group-session-timeout = 6\n";
  warren_process a(config), b(config);
  auto owned_of = [](const warren_process& w) {
    std::set<int> out;
    auto list = at(parse_json(w.get("/v3/health").body), {"clusters", "real", "offsets_sources", 0, "owned_partitions"});
    if (list.is_array())
      for (const auto& p : list.as_array()) out.insert(static_cast<int>(num(p)));
    return out;
  };
  auto lists_real = [](const warren_process& w) {
    return contains_string(at(parse_json(w.get("/v3/kafka/real/consumer").body), {"consumers"}), "cg-real");
  };
  const int home = warren::snapshot::offsets_partition_for("cg-real", 8);
  std::string state;
  const bool split = poll_until(
      [&] {
        const auto oa = owned_of(a), ob = owned_of(b);
        state = "a owns " + std::to_string(oa.size()) + ", b owns " + std::to_string(ob.size());
        if (!ready(a) || !ready(b) || oa.empty() || ob.empty() || oa.size() + ob.size() != 8) return false;
        for (int p : oa)
          if (ob.count(p)) return false;
        const auto& owner = oa.count(home) ? a : b;
        const auto& other = oa.count(home) ? b : a;
        auto owner_of = [](const warren_process& w) {
          auto reply = w.get("/v3/kafka/real/consumer/cg-real/status");
          return reply.status == 200 ? str(at(parse_json(reply.body), {"status", "warren", "owner"})) : std::string();
        };
        return lists_real(owner) && lists_real(other) && owner_of(owner) == id_of(owner) &&
               owner_of(other) == id_of(owner);
      },
      45s, 250ms);
  BOOST_TEST(split, state << "\n" << group_lines(a.output()) << group_lines(b.output()));
}

BOOST_AUTO_TEST_SUITE_END()
