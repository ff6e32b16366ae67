// Lag in seconds (issue 11): cost per partition update and /metrics at scale. Prints numbers only.
//   1. log_end_history::add per log-end sample (what every partition pays each offset-refresh),
//      estimate_time_lag per partition on a full history, evaluate_time_lag (time lag + rates +
//      drain + retention from a view) per partition, and a whole evaluate_group per partition.
//   2. /metrics: `partitions` group partitions (groups of 100 partitions, one 100-partition topic
//      each, full windows, log start and retention known), rendered from the kept statuses: body
//      size, lines, the bytes of the series issue 11 added, and render time.
// Times are the thread's CPU time (the machine is shared). Usage: bench_time_lag [partitions] [renders]
// (default: 100000 5)
#include <boost/asio/io_context.hpp>
#include <algorithm>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "service/core/actor.hpp"
#include "service/evaluator/group_evaluator.hpp"
#include "service/evaluator/rules.hpp"
#include "service/evaluator/time_lag.hpp"
#include "service/metrics/metrics.hpp"
#include "service/storage/log_end_history.hpp"
#include "service/storage/offset_store.hpp"

namespace {
using namespace warren;
// Thread CPU time, so that other processes on a shared machine do not inflate the figures.
struct sclock {
  using time_point = std::chrono::nanoseconds;
  static time_point now() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
  }
};
double ns_since(sclock::time_point t, double n) {
  return std::chrono::duration<double, std::nano>(sclock::now() - t).count() / n;
}
constexpr std::int64_t t0 = 1'700'000'000'000;
}  // namespace

int main(int argc, char** argv) {
  const long partitions = argc > 1 ? std::atol(argv[1]) : 100'000;
  const int renders = argc > 2 ? std::atoi(argv[2]) : 5;
  constexpr int per_group = 100;
  constexpr int intervals = 10;
  const long groups = std::max(1L, partitions / per_group);
  std::size_t sink = 0;

  // ---- 1. per-partition costs ----
  {
    const std::size_t n = 100'000;
    const int rounds = 100;
    std::vector<detail::log_end_history> h(n);
    auto start = sclock::now();
    for (int r = 0; r < rounds; ++r)
      for (std::size_t p = 0; p < n; ++p)
        h[p].add(1'000'000 + r * 100 + static_cast<std::int64_t>(p % 7) * (r % 3), t0 + r * 10'000);
    std::printf("history_add_ns %.1f  (per log-end sample; %zu B per partition)\n", ns_since(start, double(n) * rounds),
                sizeof(detail::log_end_history));
    std::vector<history_point> pts;
    h[0].copy_to(pts);
    start = sclock::now();
    const std::int64_t now = t0 + rounds * 10'000;
    const int calls = 2'000'000;
    for (int i = 0; i < calls; ++i) {
      const auto e = estimate_time_lag(pts, 1'000'000 + (i % 10'000), now);
      sink += static_cast<std::size_t>(e.lag_ms);
    }
    std::printf("estimate_ns %.1f  (full history of %zu points)\n", ns_since(start, calls), pts.size());
  }

  storage_options so;
  so.intervals = intervals;
  cluster_state state(so);
  std::vector<std::string> names, topics;
  for (long g = 0; g < groups; ++g) {
    names.push_back("consumer-group-" + std::to_string(g));
    topics.push_back("topic-" + std::to_string(g));
  }
  for (int round = 0; round < intervals; ++round)
    for (long g = 0; g < groups; ++g)
      for (int p = 0; p < per_group; ++p)
        state.set_broker_offset({topics[static_cast<std::size_t>(g)], partition_id{p}, per_group,
                                 offset_t{1'000'000 + round * 1000}},
                                timestamp_ms{t0 + round * 10'000});
  std::int64_t order = 0;
  for (int round = 0; round < intervals; ++round)
    for (long g = 0; g < groups; ++g)
      for (int p = 0; p < per_group; ++p)
        state.add_commit({names[static_cast<std::size_t>(g)], topics[static_cast<std::size_t>(g)], partition_id{p},
                          offset_t{999'000 + round * 900 + p}, ++order, timestamp_ms{t0 + round * 10'000 + 500}},
                         timestamp_ms{t0 + round * 10'000 + 500});
  const timestamp_ms now{t0 + intervals * 10'000};
  {
    group_view view;
    const evaluator_options eo;
    auto start = sclock::now();
    for (const auto& name : names) {
      state.view_group(name, now, view);
      sink += view.history.size();
    }
    std::printf("view_group_ns_per_partition %.1f\n", ns_since(start, double(groups) * per_group));
    state.view_group(names[0], now, view);
    start = sclock::now();
    const int reps = 200;
    for (int r = 0; r < reps; ++r)
      for (const auto& p : view.partitions) {
        const auto w = evaluate_time_lag(view, p, status_code::ok, now);
        sink += static_cast<std::size_t>(w.time_lag.lag_ms);
      }
    std::printf("evaluate_time_lag_ns_per_partition %.1f\n", ns_since(start, double(reps) * per_group));
    start = sclock::now();
    for (int r = 0; r < reps; ++r) {
      const auto g = evaluate_group("c", names[0], view, now, eo);
      sink += g.partitions.size();
    }
    std::printf("evaluate_group_ns_per_partition %.1f  (Burrow rules + time lag + aggregates)\n",
                ns_since(start, double(reps) * per_group));
  }

  // ---- 2. /metrics ----
  boost::asio::io_context ioc;
  supervisor sup;
  offset_store store(ioc.get_executor(), sup, so, {"c"});
  group_evaluator evaluator(ioc.get_executor(), sup, store, evaluator_options{}, std::chrono::milliseconds(10),
                            std::chrono::hours(1));
  store.set_sink(evaluator.inbox());
  const std::int64_t wall = warren::clock::system().wall_ms();
  for (int round = 0; round < intervals; ++round) {
    store_cmd::batch b{"c", {}};
    for (long g = 0; g < groups; ++g) {
      std::vector<std::int64_t> offsets(per_group, 1'000'000 + round * 1000);
      std::vector<std::int64_t> start;
      if (round == 0) start.assign(per_group, 10'000);
      b.commands.emplace_back(store_cmd::broker_offsets{.topic = topic_name{topics[static_cast<std::size_t>(g)]},
                                                        .partition_count = per_group,
                                                        .offsets = std::move(offsets),
                                                        .observed_at = timestamp_ms{wall - (intervals - round) * 10'000},
                                                        .log_start = std::move(start)});
      if (round == 0)
        b.commands.emplace_back(
            store_cmd::topic_config{.topic = topic_name{topics[static_cast<std::size_t>(g)]}, .retention_ms = 604'800'000});
      for (int p = 0; p < per_group; ++p) {
        b.commands.emplace_back(store_cmd::commit{.group = group_name{names[static_cast<std::size_t>(g)]},
                                                  .topic = topic_name{topics[static_cast<std::size_t>(g)]},
                                                  .partition = partition_id{p},
                                                  .offset = offset_t{999'000 + round * 900 + p},
                                                  .order = ++order,
                                                  .timestamp = timestamp_ms{wall - (intervals - round) * 10'000 + 500}});
        if (round == 0)
          b.commands.emplace_back(store_cmd::owner{.group = group_name{names[static_cast<std::size_t>(g)]},
                                                   .topic = topic_name{topics[static_cast<std::size_t>(g)]},
                                                   .partition = partition_id{p},
                                                   .host = "/10.0.0." + std::to_string(p / 10),
                                                   .client_id = "client-" + std::to_string(p / 10)});
      }
    }
    store.apply_now(b);
  }
  evaluator.flush_now();
  metrics_sources src;
  src.evaluator = &evaluator;
  src.store = &store;
  std::string body;
  double best_ms = 1e300, total_ms = 0;
  for (int i = 0; i < renders; ++i) {
    auto start = sclock::now();
    body = render_metrics(src);
    const double ms = std::chrono::duration<double, std::milli>(sclock::now() - start).count();
    best_ms = std::min(best_ms, ms);
    total_ms += ms;
  }
  std::size_t lines = 0, new_bytes = 0, new_lines = 0;
  for (std::size_t pos = 0; pos < body.size();) {
    std::size_t end = body.find('\n', pos);
    if (end == std::string::npos) end = body.size();
    const std::string_view line(body.data() + pos, end - pos);
    ++lines;
    const bool added = line.find("kafka_consumergroup_") != std::string_view::npos ||
                       line.find("kafka_partition_") != std::string_view::npos ||
                       line.find("warren_consumer_partition_lag_seconds") != std::string_view::npos ||
                       line.find("time_to_drain") != std::string_view::npos ||
                       line.find("unread_deleted") != std::string_view::npos ||
                       line.find("data_loss") != std::string_view::npos ||
                       line.find("records_lost") != std::string_view::npos ||
                       line.find("retention_seconds") != std::string_view::npos;
    if (added) {
      new_bytes += line.size() + 1;
      ++new_lines;
    }
    pos = end + 1;
  }
  std::printf("metrics_partitions %ld groups %ld statuses %zu\n", groups * per_group, groups, evaluator.size());
  std::printf("metrics_bytes %zu lines %zu  issue11_bytes %zu issue11_lines %zu\n", body.size(), lines, new_bytes,
              new_lines);
  std::printf("metrics_render_ms best %.1f mean %.1f\n", best_ms, total_ms / renders);
  std::printf("sink %zu\n", sink % 10);
  return 0;
}
