// Memory per tracked partition of the storage model (cluster_state), intervals = 10, full rings.
// Every group has 100 partitions and 10 groups share each topic; 10 members per group own 10
// partitions each (interned owner/client id). Two shapes:
//   wide:   one 100-partition topic per group        (1 M partitions: 10 k (group, topic) pairs)
//   narrow: ten 10-partition topics per group         (1 M partitions: 100 k (group, topic) pairs)
// Each run is a forked child so that RSS starts from the same baseline. Prints numbers only.
// Usage: bench_memory [tracked_partitions...]   (default: 100000 1000000; each size in both shapes)
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <vector>

#include "service/storage/model.hpp"

namespace {

long rss_bytes() {
  long pages_total = 0, pages_resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2) pages_resident = 0;
    std::fclose(f);
  }
  return pages_resident * sysconf(_SC_PAGESIZE);
}

void run(long tracked, int partitions_per_topic) {
  using namespace warren;
  constexpr int partitions_per_group = 100;
  constexpr int groups_per_topic = 10;
  constexpr int intervals = 10;
  const int topics_per_group = partitions_per_group / partitions_per_topic;
  const long groups = tracked / partitions_per_group;
  const long pairs = groups * topics_per_group;
  const long topics = std::max(1L, pairs / groups_per_topic);
  const std::int64_t t0 = 1'700'000'000'000;

  std::vector<std::string> group_names, topic_names;
  for (long g = 0; g < groups; ++g) group_names.push_back("consumer-group-" + std::to_string(g));
  for (long t = 0; t < topics; ++t) topic_names.push_back("topic-" + std::to_string(t));
  // Group g's k-th topic; the topics of one group are distinct.
  auto topic_of = [&](long g, int k) -> const std::string& {
    return topic_names[static_cast<std::size_t>((g * topics_per_group + k) % topics)];
  };

  const long rss0 = rss_bytes();
  storage_options options;
  options.intervals = intervals;
  cluster_state state(options);
  for (int round = 0; round < intervals; ++round)
    for (long t = 0; t < topics; ++t)
      for (int p = 0; p < partitions_per_topic; ++p)
        state.set_broker_offset({topic_names[static_cast<std::size_t>(t)], partition_id{p}, partitions_per_topic,
                                 offset_t{1'000'000 + round * 1000}},
                                timestamp_ms{t0 + round * 10'000});
  const long rss_broker = rss_bytes();

  const auto start = std::chrono::steady_clock::now();
  std::int64_t order = 0;
  for (int round = 0; round < intervals; ++round) {
    for (long g = 0; g < groups; ++g) {
      for (int q = 0; q < partitions_per_group; ++q) {
        const int p = q % partitions_per_topic;
        state.add_commit({group_names[static_cast<std::size_t>(g)], topic_of(g, q / partitions_per_topic),
                          partition_id{p}, offset_t{999'000 + round * 1000 + p}, ++order,
                          timestamp_ms{t0 + round * 60'000}},
                         timestamp_ms{t0 + round * 60'000 + 150});
      }
    }
  }
  const double commit_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (long g = 0; g < groups; ++g) {
    for (int q = 0; q < partitions_per_group; ++q) {
      const int member = q / 10;
      const std::string client = group_names[static_cast<std::size_t>(g)] + "-member-" + std::to_string(member);
      const std::string host = "/10.0." + std::to_string(g % 250) + "." + std::to_string(member);
      state.set_owner({group_names[static_cast<std::size_t>(g)], topic_of(g, q / partitions_per_topic),
                       partition_id{q % partitions_per_topic}, host, client},
                      timestamp_ms{t0 + intervals * 60'000});
    }
  }
  const long rss_done = rss_bytes();
  const auto n = static_cast<double>(state.tracked_partitions());
  std::printf("shape=%s tracked_partitions=%zu groups=%ld topics=%ld group_topic_pairs=%ld intervals=%d\n",
              topics_per_group == 1 ? "wide" : "narrow", state.tracked_partitions(), groups, topics, pairs, intervals);
  std::printf("rss_bytes_per_tracked_partition_consumer_state=%.1f\n", static_cast<double>(rss_done - rss_broker) / n);
  std::printf("rss_bytes_per_tracked_partition_total=%.1f\n", static_cast<double>(rss_done - rss0) / n);
  std::printf("broker_rss_bytes=%ld broker_partitions=%ld\n", rss_broker - rss0, topics * partitions_per_topic);
  std::printf("commits_per_second=%.0f\n", static_cast<double>(order) / commit_s);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<long> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::atol(argv[i]));
  if (sizes.empty()) sizes = {100'000, 1'000'000};
  for (const int partitions_per_topic : {100, 10}) {
    for (const long n : sizes) {
      std::fflush(stdout);
      const pid_t child = fork();
      if (child == 0) {
        run(n, partitions_per_topic);
        std::fflush(stdout);
        _exit(0);
      }
      int status = 0;
      waitpid(child, &status, 0);
    }
  }
  return 0;
}
