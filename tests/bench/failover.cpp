// Failover benchmark (issue 14): three Warren instances share a 6-partition offsets topic through a
// cluster-group on one harness broker (loopback); 12 hand-made groups, two per offsets partition.
// Each round SIGKILLs one instance and measures the time until the two survivors own every
// partition and both answer every group's /status as OK, naming a live owner; then the killed one
// is started again and the round waits until the work is spread over three again.
//   bench_failover [kills] [session-timeout-s]      (defaults 10 and 6; WARREN_BINARY = warren)
// Prints each kill's time and p50 / p99 / max. Needs the Kafka jars (bash .ci/setup).
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "service/core/clock.hpp"
#include "service/storage/snapshot.hpp"
#include "tests/support/fleet_helpers.hpp"
#include "tests/support/json_helpers.hpp"
#include "tests/support/kafka_harness.hpp"
#include "tests/support/offsets_records.hpp"
#include "tests/support/poll_until.hpp"
#include "tests/support/test_clients.hpp"
#include "tests/support/warren_process.hpp"

using namespace warren::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* log_topic = "fo-log";
constexpr int log_partitions = 6;
using steady = std::chrono::steady_clock;

// Every live instance owns a share, the shares cover the topic, and every instance answers every
// group as OK with a live owner.
bool settled(const std::vector<const warren_process*>& live, const std::vector<std::string>& groups) {
  std::set<std::string> ids;
  std::size_t total = 0;
  for (const auto* w : live) {
    const auto n = owned_partition_count(*w, "fo");
    if (n == 0) return false;
    total += n;
    ids.insert("127.0.0.1:" + std::to_string(w->port()));
  }
  if (total != static_cast<std::size_t>(log_partitions)) return false;
  for (const auto* w : live)
    for (const auto& g : groups) {
      auto reply = w->get("/v3/kafka/fo/consumer/" + g + "/status");
      if (reply.status != 200) return false;
      auto v = parse_json(reply.body);
      if (str(at(v, {"status", "status"})) != "OK") return false;
      if (!ids.count(str(at(v, {"status", "warren", "owner"})))) return false;
    }
  return true;
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  const int kills = argc > 1 ? std::atoi(argv[1]) : 10;
  const int session_s = argc > 2 ? std::atoi(argv[2]) : 6;
  const auto groups = groups_spread("fo-group-", log_partitions, 2);
  kafka_cluster kafka;
  kafka.create_topic("fo-data", 2);
  kafka.create_topic(log_topic, log_partitions);
  producer data(kafka.bootstrap());
  data.produce("fo-data", 0, 100);
  data.produce("fo-data", 1, 100);
  raw_producer commits(kafka.bootstrap());
  const auto t0 = warren::wall_now_ms();
  for (const auto& g : groups) {
    std::vector<raw_record> r;
    for (int i = 0; i < 5; ++i)
      for (int p = 0; p < 2; ++p) r.push_back(commit_record(g, "fo-data", p, 50 + 10 * i, t0 - 3'600'000 + 900'000 * i));
    commits.send(log_topic, warren::snapshot::offsets_partition_for(g, log_partitions), r);
  }
  const std::string config = cluster_config("fo", kafka.bootstrap(), log_topic) + "cluster-group = \"fo-fleet\"\n" +
                             "cluster-group-session-timeout = " + std::to_string(session_s) +
                             "\n\n[storage.default]\nintervals = 5\n\n[warren]\neval-interval = 1\ncoalesce-ms = 50\n";
  std::vector<std::unique_ptr<warren_process>> fleet;
  for (int i = 0; i < 3; ++i) fleet.push_back(std::make_unique<warren_process>(config));
  auto live = [&](int except) {
    std::vector<const warren_process*> out;
    for (int i = 0; i < 3; ++i)
      if (i != except) out.push_back(fleet[static_cast<std::size_t>(i)].get());
    return out;
  };
  if (!warren::poll_until([&] { return settled(live(-1), groups); }, 120s, 100ms)) {
    std::fprintf(stderr, "bench_failover: the three instances never settled\n");
    return 1;
  }
  std::printf("failover: 3 instances, %d offsets partitions, %zu groups, session timeout %d s\n", log_partitions,
              groups.size(), session_s);
  std::vector<double> failover_ms, respread_ms;
  for (int k = 0; k < kills; ++k) {
    const int victim = k % 3;
    const auto killed = steady::now();
    ::kill(fleet[static_cast<std::size_t>(victim)]->process().pid(), SIGKILL);
    if (!warren::poll_until([&] { return settled(live(victim), groups); }, 60s, 50ms)) {
      std::fprintf(stderr, "bench_failover: kill %d: the survivors did not take over within 60 s\n", k + 1);
      return 1;
    }
    failover_ms.push_back(std::chrono::duration<double, std::milli>(steady::now() - killed).count());
    fleet[static_cast<std::size_t>(victim)] = std::make_unique<warren_process>(config);
    const auto restarted = steady::now();
    if (!warren::poll_until([&] { return settled(live(-1), groups); }, 60s, 50ms)) {
      std::fprintf(stderr, "bench_failover: kill %d: the work did not spread again within 60 s\n", k + 1);
      return 1;
    }
    respread_ms.push_back(std::chrono::duration<double, std::milli>(steady::now() - restarted).count());
    std::printf("kill %2d (instance %d): all groups answered by the survivors after %7.0f ms; spread again %6.0f ms "
                "after the restart\n",
                k + 1, victim, failover_ms.back(), respread_ms.back());
  }
  std::printf("failover_ms p50 %.0f p99 %.0f max %.0f | respread_ms p50 %.0f p99 %.0f max %.0f\n",
              percentile(failover_ms, 0.5), percentile(failover_ms, 0.99),
              *std::max_element(failover_ms.begin(), failover_ms.end()), percentile(respread_ms, 0.5),
              percentile(respread_ms, 0.99), *std::max_element(respread_ms.begin(), respread_ms.end()));
  return 0;
}
