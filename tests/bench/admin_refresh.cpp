// kafka-admin source (issue 13): groups refreshed per second through the Admin API, by
// concurrency, on a local KRaft broker. Numbers only, no assertions. Build in Release for real
// figures (a Debug build measures mostly the broker anyway: one ListConsumerGroupOffsets per group).
//
// 1. Starts a broker, creates one topic with P partitions and commits an offset on every
//    partition for G groups (AlterConsumerGroupOffsets, many requests in flight): G "simple"
//    groups in state Empty, as many managed clusters hold.
// 2. For each concurrency C: starts warren with one [consumer] of class kafka-admin
//    (max-in-flight = C, offset-refresh = R), and reads from its log how long the first full
//    round took (list + every group's offsets fetched once: "first full round done: N groups in
//    X ms"), i.e. groups/s at that concurrency. Then, while the following rounds run, it times
//    GET /v3/kafka/admin/consumer (API latency during refresh), reads the schedule lag from
//    /metrics and the process's peak RSS.
// 3. For comparison, the same groups read by a class kafka consumer (the offsets topic): time to
//    READY (replay of __consumer_offsets done).
//
// Usage: bench_admin_refresh [--groups G] [--partitions P] [--refresh R] [--concurrency 1,8,32]
// Defaults: 1000 groups x 4 partitions, refresh 10 s, concurrency 1,8,32.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/kafka_harness.hpp"
#include "tests/support/poll_until.hpp"
#include "tests/support/warren_process.hpp"

namespace wt = warren::test;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

struct options {
  int groups = 1000;
  int partitions = 4;
  int refresh = 10;
  std::vector<int> concurrency{1, 8, 32};
};

std::vector<int> parse_list(const std::string& s) {
  std::vector<int> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::stoi(item));
  return out;
}

// Commits offsets 1.. on every partition of `topic` for groups bench-0..bench-(n-1). Groups
// whose commit failed (NOT_COORDINATOR while __consumer_offsets is being created: librdkafka does
// not retry AlterConsumerGroupOffsets) are sent again, up to 50 rounds.
void make_groups(const std::string& bootstrap, const std::string& topic, int groups, int partitions) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) throw std::runtime_error(err);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  std::vector<std::string> pending;
  for (int i = 0; i < groups; ++i) pending.push_back("bench-" + std::to_string(i));
  const std::size_t window = 64;
  for (int round = 0; round < 50 && !pending.empty(); ++round) {
    std::vector<std::string> failed;
    std::size_t sent = 0, done = 0;
    auto receive = [&] {
      rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
      if (!ev) throw std::runtime_error("AlterConsumerGroupOffsets timed out");
      const auto* res = rd_kafka_event_AlterConsumerGroupOffsets_result(ev);
      size_t n = 0;
      const rd_kafka_group_result_t** gr = res ? rd_kafka_AlterConsumerGroupOffsets_result_groups(res, &n) : nullptr;
      for (size_t k = 0; k < n; ++k) {
        bool bad = rd_kafka_group_result_error(gr[k]) != nullptr;
        const auto* parts = rd_kafka_group_result_partitions(gr[k]);
        for (int j = 0; parts && j < parts->cnt; ++j) bad = bad || parts->elems[j].err;
        if (bad) failed.push_back(rd_kafka_group_result_name(gr[k]));
      }
      rd_kafka_event_destroy(ev);
      ++done;
    };
    for (const auto& group : pending) {
      while (sent - done >= window) receive();
      rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(partitions);
      for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(parts, topic.c_str(), p)->offset = 1 + p;
      rd_kafka_AlterConsumerGroupOffsets_t* req = rd_kafka_AlterConsumerGroupOffsets_new(group.c_str(), parts);
      rd_kafka_topic_partition_list_destroy(parts);
      rd_kafka_AlterConsumerGroupOffsets(rk, &req, 1, nullptr, q);
      rd_kafka_AlterConsumerGroupOffsets_destroy(req);
      ++sent;
    }
    while (done < sent) receive();
    pending = std::move(failed);
  }
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
  if (!pending.empty()) throw std::runtime_error(std::to_string(pending.size()) + " groups could not be committed");
}

long peak_rss_kb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

double metric(const std::string& text, const std::string& name) {
  auto at = text.find("\n" + name);
  if (at == std::string::npos) return -1;
  auto sp = text.find(' ', text.find('}', at));
  return std::atof(text.c_str() + sp + 1);
}

std::string cluster_block(const std::string& bootstrap) {
  return "[cluster.admin]\nclass-name = \"kafka\"\nservers = [\"" + bootstrap +
         "\"]\noffset-refresh = 10\ntopic-refresh = 10\n\n";
}

void run_admin(const options& o, const std::string& bootstrap, int c) {
  const std::string cfg = cluster_block(bootstrap) +
                          "[consumer.admin]\nclass-name = \"kafka-admin\"\ncluster = \"admin\"\noffset-refresh = " +
                          std::to_string(o.refresh) + "\ngroup-refresh = " + std::to_string(o.refresh) +
                          "\nmax-in-flight = " + std::to_string(c) + "\n\n[warren]\nready-timeout = 0\n";
  wt::warren_process w(cfg, 60s);
  const std::string marker = "first full round done: ";
  std::string out;
  const auto start = clock_type::now();
  if (!warren::poll_until([&] { return (out = w.output()).find(marker) != std::string::npos; }, 600s, 20ms)) {
    std::printf("concurrency %3d: no full round within 600 s\n", c);
    return;
  }
  auto at = out.find(marker) + marker.size();
  long groups = std::atol(out.c_str() + at);
  long ms = std::atol(out.c_str() + out.find(" in ", at) + 4);
  // Schedule lag once the first round is done, without other load: /v3/health (cheap) every 250 ms
  // for 3 s. (Pacing of the samples, not a wait for a condition.)
  std::int64_t lag_max = 0, lag_last = 0;
  for (int i = 0; i < 12; ++i) {
    auto h = w.get("/v3/health").body;
    auto k = h.find("\"admin_schedule_lag_ms\":");
    if (k != std::string::npos) lag_last = std::atoll(h.c_str() + k + 24);
    lag_max = std::max(lag_max, lag_last);
    std::this_thread::sleep_for(250ms);
  }
  // API latency while the next rounds run (they spread over the refresh period).
  std::vector<double> lat;
  const auto until = clock_type::now() + std::chrono::seconds(std::min(o.refresh, 5));
  while (clock_type::now() < until) {
    auto t0 = clock_type::now();
    (void)w.get("/v3/kafka/admin/consumer");
    lat.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
  }
  std::sort(lat.begin(), lat.end());
  auto metrics = w.get("/metrics").body;
  std::printf(
      "concurrency %3d: first round %ld groups in %6ld ms = %8.1f groups/s | GET /consumer p50 %.2f ms p99 %.2f ms "
      "(%zu calls) | schedule lag after the round: max %.3f s, last %.3f s; under that GET load %.3f s | peak RSS %ld MB "
      "(waited %.1f s)\n",
      c, groups, ms, ms > 0 ? 1000.0 * static_cast<double>(groups) / static_cast<double>(ms) : 0.0,
      lat.empty() ? 0 : lat[lat.size() / 2], lat.empty() ? 0 : lat[lat.size() * 99 / 100], lat.size(),
      static_cast<double>(lag_max) / 1000.0, static_cast<double>(lag_last) / 1000.0,
      metric(metrics, "warren_admin_schedule_lag_seconds"), peak_rss_kb(w.process().pid()) / 1024,
      std::chrono::duration<double>(clock_type::now() - start).count());
  std::fflush(stdout);
}

void run_topic(const std::string& bootstrap, int refresh) {
  const std::string cfg = cluster_block(bootstrap) +
                          "[consumer.admin]\nclass-name = \"kafka\"\ncluster = \"admin\"\n\n[warren]\nready-timeout = 0\n";
  const auto start = clock_type::now();
  wt::warren_process w(cfg, 60s);
  const bool ready =
      warren::poll_until([&] { return w.get("/burrow/admin/ready").status == 200; }, 600s, 20ms);
  const double ready_ms = std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
  // The same GET load as the admin runs, so peak RSS compares like with like.
  std::vector<double> lat;
  const auto until = clock_type::now() + std::chrono::seconds(std::min(refresh, 5));
  while (clock_type::now() < until) {
    auto t0 = clock_type::now();
    (void)w.get("/v3/kafka/admin/consumer");
    lat.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
  }
  std::sort(lat.begin(), lat.end());
  std::printf("topic reader (class kafka): %s in %.0f ms (process start included) | GET /consumer p50 %.2f ms p99 "
              "%.2f ms (%zu calls) | peak RSS %ld MB\n",
              ready ? "READY" : "not ready", ready_ms, lat.empty() ? 0 : lat[lat.size() / 2],
              lat.empty() ? 0 : lat[lat.size() * 99 / 100], lat.size(), peak_rss_kb(w.process().pid()) / 1024);
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--groups") o.groups = std::atoi(argv[i + 1]);
    else if (a == "--partitions") o.partitions = std::atoi(argv[i + 1]);
    else if (a == "--refresh") o.refresh = std::atoi(argv[i + 1]);
    else if (a == "--concurrency") o.concurrency = parse_list(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  try {
    wt::kafka_cluster kafka;
    kafka.create_topic("bench", o.partitions);
    const auto t0 = clock_type::now();
    make_groups(kafka.bootstrap(), "bench", o.groups, o.partitions);
    std::printf("%d groups x %d partitions committed in %.1f s (AlterConsumerGroupOffsets)\n", o.groups, o.partitions,
                std::chrono::duration<double>(clock_type::now() - t0).count());
    for (int c : o.concurrency) run_admin(o, kafka.bootstrap(), c);
    run_topic(kafka.bootstrap(), o.refresh);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_admin_refresh: %s\n", e.what());
    return 1;
  }
  return 0;
}
