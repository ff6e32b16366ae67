// Writes hand-made offset-commit records for many groups into an offsets topic, so that a Warren
// (or Burrow) started on that topic knows N groups at once. Used by tests/bench/http.sh.
//
// Usage: bench_gen_commits BOOTSTRAP OFFSETS_TOPIC GROUPS PARTITIONS [DATA_TOPIC] [PREFIX] [COMMITS] [TOPICS]
//   Group i is PREFIX + i in six digits (default prefix "g-"): g-000000, g-000001, ...
//   Each group commits COMMITS times (default 3) on partitions 0..PARTITIONS-1 of DATA_TOPIC
//   (default "bench-data"), offsets 10, 20, 30..., commit timestamps one minute apart ending now.
//   With TOPICS given, on each of DATA_TOPIC-0 .. DATA_TOPIC-(TOPICS-1) instead.
//   Key v1, value v3 (the layout brokers write), all to partition 0 of OFFSETS_TOPIC, in batches;
//   with WARREN_GEN_OFFSETS_PARTITIONS=N, each group's to the partition the broker would choose
//   among N (Java hashCode of the group, as __consumer_offsets), so that instances sharing the
//   topic through a cluster-group split the groups (tests/bench/fleet.sh).
// Prints records written and the rate. The topics must exist (http.sh creates them).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "service/storage/snapshot.hpp"
#include "tests/support/offsets_encode.hpp"
#include "tests/support/test_clients.hpp"

namespace wo = warren::offsets;
using warren::test::raw_record;

namespace {
std::string bytes(const wo::byte_buffer& b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }
}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr,
                 "usage: %s BOOTSTRAP OFFSETS_TOPIC GROUPS PARTITIONS [DATA_TOPIC] [PREFIX] [COMMITS] [TOPICS]\n", argv[0]);
    return 2;
  }
  const std::string bootstrap = argv[1];
  const std::string topic = argv[2];
  const long groups = std::strtol(argv[3], nullptr, 10);
  const int partitions = static_cast<int>(std::strtol(argv[4], nullptr, 10));
  const std::string data_topic = argc > 5 ? argv[5] : "bench-data";
  const std::string prefix = argc > 6 ? argv[6] : "g-";
  const int commits = argc > 7 ? static_cast<int>(std::strtol(argv[7], nullptr, 10)) : 3;
  const int topic_count = argc > 8 ? static_cast<int>(std::strtol(argv[8], nullptr, 10)) : 1;
  if (groups <= 0 || partitions <= 0 || commits <= 0 || topic_count <= 0) {
    std::fprintf(stderr, "GROUPS, PARTITIONS, COMMITS and TOPICS must be positive\n");
    return 2;
  }
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const auto start = std::chrono::steady_clock::now();
  warren::test::raw_producer producer(bootstrap);
  const char* spread = std::getenv("WARREN_GEN_OFFSETS_PARTITIONS");
  const int offsets_partitions = spread ? static_cast<int>(std::strtol(spread, nullptr, 10)) : 1;
  if (offsets_partitions <= 0) {
    std::fprintf(stderr, "WARREN_GEN_OFFSETS_PARTITIONS must be positive\n");
    return 2;
  }
  std::vector<std::vector<raw_record>> batches(static_cast<std::size_t>(offsets_partitions));
  constexpr std::size_t batch_size = 20000;
  std::size_t written = 0;
  std::vector<std::string> topics;
  if (argc <= 8) {
    topics.push_back(data_topic);
  } else {
    for (int t = 0; t < topic_count; ++t) topics.push_back(data_topic + "-" + std::to_string(t));
  }
  char name[64];
  for (int c = 0; c < commits; ++c) {
    for (long g = 0; g < groups; ++g) {
      std::snprintf(name, sizeof name, "%s%06ld", prefix.c_str(), g);
      const std::int32_t part = offsets_partitions == 1 ? 0 : warren::snapshot::offsets_partition_for(name, offsets_partitions);
      auto& batch = batches[static_cast<std::size_t>(part)];
      for (const auto& data : topics) {
        for (int p = 0; p < partitions; ++p) {
          wo::offset_commit rec;
          rec.group = name;
          rec.topic = data;
          rec.partition = p;
          rec.offset = 10 * (c + 1);
          rec.leader_epoch = 0;
          rec.commit_timestamp = now - 60000LL * (commits - 1 - c);
          rec.key_version = wo::key_offset_commit;
          rec.value_version = 3;
          auto e = wo::encode(rec);
          batch.push_back(raw_record{bytes(e.key), bytes(*e.value)});
          if (batch.size() == batch_size) {
            producer.send(topic, part, batch, std::chrono::seconds(120));
            written += batch.size();
            batch.clear();
          }
        }
      }
    }
  }
  for (std::size_t part = 0; part < batches.size(); ++part) {
    if (batches[part].empty()) continue;
    producer.send(topic, static_cast<std::int32_t>(part), batches[part], std::chrono::seconds(120));
    written += batches[part].size();
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("gen_commits: %zu records (%ld groups x %d topics x %d partitions x %d commits) in %.1f s (%.0f records/s)\n",
              written, groups, topic_count, partitions, commits, s, static_cast<double>(written) / s);
  return 0;
}
