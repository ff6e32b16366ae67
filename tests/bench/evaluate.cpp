// Evaluation throughput on one core: groups of 10 partitions with full windows (intervals 10).
// Measures view materialisation + rules (what the evaluator actor does per dirty group) and the
// rules alone on a prepared view, and packing / unpacking the kept statuses (status_pack.hpp: what
// the evaluator keeps per group instead of the struct), and rendering `/lag`'s status object
// (http/burrow_json.hpp). Prints numbers only.
// Usage: bench_evaluate [groups] [passes]   (default: 10000 20)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "service/evaluator/rules.hpp"
#include "service/evaluator/status_pack.hpp"
#include "service/http/burrow_json.hpp"
#include "service/storage/model.hpp"

int main(int argc, char** argv) {
  using namespace warren;
  const long groups = argc > 1 ? std::atol(argv[1]) : 10'000;
  const int passes = argc > 2 ? std::atoi(argv[2]) : 20;
  constexpr int partitions = 10;
  constexpr int intervals = 10;
  const std::int64_t t0 = 1'700'000'000'000;

  storage_options options;
  options.intervals = intervals;
  cluster_state state(options);
  std::vector<std::string> names;
  for (long g = 0; g < groups; ++g) names.push_back("group-" + std::to_string(g));
  const long topics = std::max(1L, groups / 10);
  std::vector<std::string> topic_names;
  for (long t = 0; t < topics; ++t) topic_names.push_back("topic-" + std::to_string(t));
  for (int round = 0; round < intervals; ++round)
    for (long t = 0; t < topics; ++t)
      for (int p = 0; p < partitions; ++p)
        state.set_broker_offset({topic_names[static_cast<std::size_t>(t)], partition_id{p}, partitions,
                                 offset_t{100'000 + round * 1000}},
                                timestamp_ms{t0 + round * 60'000});
  std::int64_t order = 0;
  for (int round = 0; round < intervals; ++round)
    for (long g = 0; g < groups; ++g)
      for (int p = 0; p < partitions; ++p) {
        // a mix: most partitions keep up, every 7th lags more each round (WARN), every 13th stalls
        std::int64_t offset = 99'500 + round * 1000;
        if ((g * partitions + p) % 7 == 0) offset = 90'000 + round * 900;
        if ((g * partitions + p) % 13 == 0) offset = 50'000;
        state.add_commit({names[static_cast<std::size_t>(g)], topic_names[static_cast<std::size_t>(g % topics)],
                          partition_id{p}, offset_t{offset}, ++order, timestamp_ms{t0 + round * 60'000}},
                         timestamp_ms{t0 + round * 60'000});
      }

  const timestamp_ms now{t0 + intervals * 60'000};
  const evaluator_options eo;
  group_view view;
  std::size_t sink = 0;
  auto start = std::chrono::steady_clock::now();
  for (int pass = 0; pass < passes; ++pass)
    for (const auto& name : names) {
      if (!state.view_group(name, now, view)) continue;
      const auto status = evaluate_group("local", name, view, now, eo);
      sink += static_cast<std::size_t>(status.status) + status.partitions.size();
    }
  const double full_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // The kept form: every group's status packed once, then unpacked `passes` times.
  std::vector<group_status> statuses;
  statuses.reserve(names.size());
  for (const auto& name : names)
    if (state.view_group(name, now, view)) statuses.push_back(evaluate_group("local", name, view, now, eo));
  status_packer packer;
  std::vector<packed_status> packed(statuses.size());
  for (std::size_t i = 0; i < statuses.size(); ++i) packer.pack(statuses[i], packed[i]);  // first: allocates
  start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < statuses.size(); ++i) packer.pack(statuses[i], packed[i]);  // as the evaluator re-packs
  const double pack_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::size_t packed_bytes = 0, struct_partitions = 0;
  for (std::size_t i = 0; i < packed.size(); ++i) {
    packed_bytes += packed[i].heap_bytes();
    struct_partitions += statuses[i].partitions.size();
  }
  group_status scratch;
  start = std::chrono::steady_clock::now();
  for (int pass = 0; pass < passes; ++pass)
    for (std::size_t i = 0; i < packed.size(); ++i) {
      packer.unpack(packed[i], "local", names[i], scratch);
      sink += scratch.partitions.size();
    }
  const double unpack_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // `/lag`'s status object (http/burrow_json.hpp) of every status, `passes` times.
  std::size_t json_bytes = 0;
  start = std::chrono::steady_clock::now();
  for (int pass = 0; pass < passes; ++pass)
    for (const auto& st : statuses) json_bytes += status_object_json(st, false).size();
  const double json_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  state.view_group(names[0], now, view);
  start = std::chrono::steady_clock::now();
  const long rules_iterations = groups * passes;
  for (long i = 0; i < rules_iterations; ++i) {
    const auto status = evaluate_group("local", names[0], view, now, eo);
    sink += static_cast<std::size_t>(status.status);
  }
  const double rules_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const double evaluated = static_cast<double>(groups) * passes;
  std::printf("groups=%ld partitions_per_group=%d intervals=%d passes=%d\n", groups, partitions, intervals, passes);
  std::printf("view_and_evaluate_groups_per_second=%.0f\n", evaluated / full_s);
  std::printf("view_and_evaluate_partitions_per_second=%.0f\n", evaluated * partitions / full_s);
  std::printf("evaluate_only_groups_per_second=%.0f\n", static_cast<double>(rules_iterations) / rules_s);
  std::printf("evaluate_only_partitions_per_second=%.0f\n", static_cast<double>(rules_iterations) * partitions / rules_s);
  std::printf("pack_partitions_per_second=%.0f\n", static_cast<double>(struct_partitions) / pack_s);
  std::printf("unpack_partitions_per_second=%.0f\n", static_cast<double>(struct_partitions) * passes / unpack_s);
  std::printf("lag_json_partitions_per_second=%.0f (%.0f MB/s, %.0f bytes per partition)\n",
              static_cast<double>(struct_partitions) * passes / json_s, static_cast<double>(json_bytes) / json_s / 1e6,
              static_cast<double>(json_bytes) / static_cast<double>(struct_partitions * static_cast<std::size_t>(passes)));
  std::printf("packed_bytes_per_partition=%.1f (struct: %zu + its strings' heap)\n",
              static_cast<double>(packed_bytes) / static_cast<double>(struct_partitions), sizeof(partition_status));
  std::printf("checksum=%zu\n", sink);
  return 0;
}
