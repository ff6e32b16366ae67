// Restart without amnesia (issue 14): Warren with `[warren] state-dir` on one broker, two clusters
// pointing at it: "hand" reads hand-made commits from a 3-partition offsets topic (each group's
// records in the partition Kafka would use), "real" reads __consumer_offsets with a real consumer
// group. Stopped with SIGTERM, restarted: READY, with the same answers, from the snapshot (its
// log says it resumed every partition with nothing left to read), and a commit written after the
// restart is applied once. A corrupted snapshot is logged and ignored: a full replay gives the
// same answers.
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "service/core/clock.hpp"
#include "service/storage/snapshot.hpp"
#include "tests/support/json_helpers.hpp"
#include "tests/support/kafka_harness.hpp"
#include "tests/support/offsets_records.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/poll_until.hpp"
#include "tests/support/test_clients.hpp"
#include "tests/support/warren_process.hpp"

using namespace warren::test;
using namespace std::chrono_literals;
using warren::poll_until;

namespace {

constexpr const char* hand_topic = "snap-log";
constexpr int hand_partitions = 3;
const std::vector<std::string> hand_groups = {"snap-a", "snap-b", "snap-c", "snap-d", "snap-e", "snap-f"};

std::string config(const std::string& bootstrap, const std::filesystem::path& state_dir) {
  return cluster_config("hand", bootstrap, hand_topic) + cluster_config("real", bootstrap) +
         "[storage.default]\nintervals = 5\n\n[warren]\neval-interval = 1\ncoalesce-ms = 50\nstate-dir = \"" +
         state_dir.string() + "\"\nsnapshot-interval = 3600\n";
}

// observedAt is when Warren stored a commit: restored exactly from a snapshot, new on a replay.
void drop_observed_at(boost::json::value& v) {
  if (v.is_object()) {
    v.as_object().erase("observedAt");
    for (auto& [k, e] : v.as_object()) drop_observed_at(e);
  } else if (v.is_array()) {
    for (auto& e : v.as_array()) drop_observed_at(e);
  }
}

// Warren's own "warren" objects (lag in seconds, evaluated_at) come from the broker's log-end
// history and the clock, which a snapshot does not hold (re-polled within seconds): left out.
void drop_warren_fields(boost::json::value& v) {
  if (v.is_object()) {
    v.as_object().erase("warren");
    for (auto& [k, e] : v.as_object()) drop_warren_fields(e);
  } else if (v.is_array()) {
    for (auto& e : v.as_array()) drop_warren_fields(e);
  }
}

boost::json::value get_json(const warren_process& w, const std::string& target, bool replayed = false) {
  auto v = parse_json(w.get(target).body);
  if (v.is_object()) v.as_object().erase("request");  // Burrow's echo of the request
  drop_warren_fields(v);
  if (replayed) drop_observed_at(v);
  return v;
}

// Every answer the test compares, keyed by path.
using answers = std::map<std::string, std::string>;

answers collect(const warren_process& w, bool replayed = false) {
  answers a;
  for (const std::string cluster : {"hand", "real"}) {
    const std::string base = "/v3/kafka/" + cluster + "/consumer";
    a[base] = boost::json::serialize(get_json(w, base));
  }
  for (const auto& g : hand_groups)
    for (const std::string tail : {"", "/status", "/lag"}) {
      const std::string path = "/v3/kafka/hand/consumer/" + g + tail;
      a[path] = boost::json::serialize(get_json(w, path, replayed));
    }
  // The real group's windows and owners (its status moves with the clock once it stopped committing).
  const std::string real = "/v3/kafka/real/consumer/snap-real";
  a[real] = boost::json::serialize(get_json(w, real, replayed));
  return a;
}

// The answers once two reads in a row agree (nothing still arriving).
answers settled(const warren_process& w, bool replayed = false) {
  answers last = collect(w, replayed);
  BOOST_REQUIRE(poll_until(
      [&] {
        auto now = collect(w, replayed);
        const bool same = now == last;
        last = std::move(now);
        return same;
      },
      10s, 300ms));
  return last;
}

std::string diff(const answers& want, const answers& got) {
  std::string out;
  for (const auto& [k, v] : want) {
    auto it = got.find(k);
    if (it == got.end() || it->second != v)
      out += k + "\n  want " + v + "\n  got  " + (it == got.end() ? "(none)" : it->second) + "\n";
  }
  return out;
}

bool ready(const warren_process& w) { return w.get("/burrow/admin/ready").status == 200; }

struct snapshot_env {
  kafka_cluster kafka;
  std::filesystem::path state_dir = write_temp_file("placeholder", "").parent_path() / "state";
  raw_producer commits{kafka.bootstrap()};
  std::int64_t t0 = warren::wall_now_ms();

  snapshot_env() {
    kafka.create_topic("snap-data", 2);
    kafka.create_topic(hand_topic, hand_partitions);
    producer data(kafka.bootstrap());
    data.produce("snap-data", 0, 100);
    data.produce("snap-data", 1, 100);
    // Windows spanning the last hour (no rule changes its verdict while the test runs), each group
    // in the partition Kafka's coordinator would write it to.
    for (std::size_t g = 0; g < hand_groups.size(); ++g) {
      const auto& group = hand_groups[g];
      std::vector<raw_record> r;
      for (int i = 0; i < 5; ++i)
        for (int p = 0; p < 2; ++p)
          r.push_back(commit_record(group, "snap-data", p, 50 + 10 * i + static_cast<int>(g) - (g % 2 ? 12 : 0),
                                    t0 - 3'600'000 + 900'000 * i));
      commits.send(hand_topic, warren::snapshot::offsets_partition_for(group, hand_partitions), r);
    }
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(snapshot)

BOOST_AUTO_TEST_CASE(restart_resumes_from_the_snapshot_and_a_corrupt_one_is_replayed) {
  snapshot_env env;
  const auto file = warren::snapshot::file_for(env.state_dir, "hand");

  // A real group on __consumer_offsets: consumes, commits, then stops committing (stays a member,
  // so its owner and client id are in the store).
  consumer_member member(env.kafka.bootstrap(), {.group = "snap-real", .topics = {"snap-data"}, .client_id = "snap-client"});
  BOOST_REQUIRE(member.wait_for_consumed(200, 60s));
  BOOST_REQUIRE(poll_until(
      [&] { return member.committed("snap-data", 0) == 100 && member.committed("snap-data", 1) == 100; }, 30s));
  member.set_committing(false);

  answers before;
  {
    warren_process w(config(env.kafka.bootstrap(), env.state_dir));
    BOOST_REQUIRE(poll_until([&] { return ready(w); }, 30s));
    // Settled: every hand group rated, the real group's last commits stored with its owner.
    BOOST_REQUIRE(poll_until(
        [&] {
          for (const auto& g : hand_groups) {
            auto lag = get_json(w, "/v3/kafka/hand/consumer/" + g + "/lag");
            if (str(at(lag, {"status", "status"})) != "OK" || num(at(lag, {"status", "partition_count"})) != 2)
              return false;
          }
          auto real = w.get("/v3/kafka/real/consumer/snap-real").body;
          return real.find("snap-client") != std::string::npos && real.find("\"offset\":100") != std::string::npos;
        },
        30s));
    before = settled(w);
    BOOST_TEST(w.process().terminate() == 0);
    BOOST_TEST(w.output().find("snapshot written to " + file.string()) != std::string::npos, w.output());
  }
  BOOST_REQUIRE(std::filesystem::exists(file));
  BOOST_TEST_MESSAGE("snapshot of cluster hand: " << std::filesystem::file_size(file) << " bytes");

  // Restart: restored from the snapshot, every partition resumed with nothing to replay.
  answers second;
  {
    const auto started = std::chrono::steady_clock::now();
    warren_process w(config(env.kafka.bootstrap(), env.state_dir));
    BOOST_REQUIRE(poll_until([&] { return ready(w); }, 30s));
    BOOST_TEST_MESSAGE("READY after restart with a snapshot: "
                       << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()
                       << " ms");
    const std::string out = w.output();
    BOOST_TEST(out.find("hand: snapshot " + file.string() + " loaded") != std::string::npos, out);
    BOOST_TEST(out.find("resuming 3 of 3 partitions of snap-log from the snapshot (0 had no position); 0 records left")
                   != std::string::npos, out);
    BOOST_TEST(out.find("real: snapshot") != std::string::npos, out);
    answers got;
    const bool same = poll_until([&] { return (got = collect(w)) == before; }, 20s, 200ms);
    BOOST_TEST(same, diff(before, got));

    // A commit written after the restart is read (the position was right): once, as the newest.
    const std::string& g = hand_groups[0];
    env.commits.send(hand_topic, warren::snapshot::offsets_partition_for(g, hand_partitions),
                     commit_record(g, "snap-data", 0, 100, warren::wall_now_ms()));
    BOOST_TEST(poll_until(
        [&] {
          auto offsets = at(get_json(w, "/v3/kafka/hand/consumer/" + g), {"topics", "snap-data", 0, "offsets"});
          if (!offsets.is_array() || offsets.as_array().size() != 5) return false;
          std::size_t hundreds = 0;
          for (const auto& o : offsets.as_array())
            if (num(at(o, {"offset"})) == 100) ++hundreds;
          return num(at(offsets.as_array().back(), {"offset"})) == 100 && hundreds == 1;
        },
        20s));
    second = settled(w);
    BOOST_TEST(w.process().terminate() == 0);
  }

  // Corrupt the snapshot: logged, ignored, the topic replayed in full with the same answers.
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(std::filesystem::file_size(file) / 2));
    char c = 0;
    f.seekg(f.tellp());
    f.read(&c, 1);
    f.seekp(static_cast<std::streamoff>(std::filesystem::file_size(file) / 2));
    c = static_cast<char>(c ^ 0x40);
    f.write(&c, 1);
  }
  {
    warren_process w(config(env.kafka.bootstrap(), env.state_dir));
    BOOST_REQUIRE(poll_until([&] { return ready(w); }, 30s));
    const std::string out = w.output();
    BOOST_TEST(out.find("hand: snapshot " + file.string() + " ignored: checksum mismatch") != std::string::npos, out);
    BOOST_TEST(out.find("reading snap-log") != std::string::npos, out);  // the replay from the beginning
    answers want = second;  // observedAt aside (the replay stores every commit again)
    for (auto& [k, v] : want) {
      auto j = boost::json::parse(v);
      drop_observed_at(j);
      v = boost::json::serialize(j);
    }
    answers got;
    const bool same = poll_until([&] { return (got = collect(w, true)) == want; }, 20s, 200ms);
    BOOST_TEST(same, diff(want, got));
    // Issue 12: the replay's changes waited for its end (group_evaluator::hold), answers unchanged.
    const std::string metrics = w.get("/metrics").body;
    const std::string held = "\nwarren_evaluator_held_changes_total ";
    const auto at_held = metrics.find(held);
    BOOST_REQUIRE(at_held != std::string::npos);
    BOOST_TEST(std::stoull(metrics.substr(at_held + held.size())) > 0u);
  }
}

BOOST_AUTO_TEST_CASE(an_unusable_state_dir_is_a_start_up_error_naming_the_key) {
  const auto file = write_temp_file("a-file", "x");  // a file where the directory should be
  auto r = run_warren({"--config", write_temp_file("warren.toml", config("127.0.0.1:1", file) +
                                                                      "\n[httpserver.default]\naddress = \"127.0.0.1:65000\"\n")
                                       .string()});
  BOOST_TEST(r.exit_code != 0);
  BOOST_TEST(r.output.find("[warren] state-dir") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_SUITE_END()
