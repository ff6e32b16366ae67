// End-to-end ingest from a real broker: records/s of the warren binary replaying an offsets topic
// until caught up, and its peak RSS. Numbers only, no assertions. Build in Release.
//
// 1. Starts a KRaft broker (tests/support/kafka_harness), creates an offsets topic and the data
//    topics the commits name (so the cluster poller has their log-end offsets and the store
//    applies commits at once instead of holding them; --no-topics measures the held path).
// 2. A librdkafka producer writes groups × partitions × commits offset-commit records (key v1,
//    value v3, the layout brokers write) as fast as it can: acks=1, linger 20 ms, 1 MB batches,
//    compression as given (default none, like __consumer_offsets). A group's commits all go to
//    one offsets-topic partition, in commit order, as the broker's group coordinator does.
// 3. Starts warren (WARREN_BINARY, else the build's binary) on that topic and polls /metrics
//    until it is READY (ready-timeout = 0: the replay reached the start-time end offsets) and
//    the store has taken every commit. Rates use warren_offsets_records_total.
//
// Usage: bench_ingest [--groups N] [--partitions P] [--commits C] [--topics T]
//                     [--offsets-partitions K] [--compression none|lz4|...] [--no-topics]
//                     [--deadline SECONDS] [--runs N]
// Defaults: 2000 groups × 50 partitions × 100 commits = 10 M records, 20 topics, 8 partitions.
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/offsets_encode.hpp"
#include "tests/support/kafka_harness.hpp"
#include "tests/support/warren_process.hpp"

namespace wo = warren::offsets;
namespace wt = warren::test;
using clock_type = std::chrono::steady_clock;

namespace {

struct options {
  int groups = 2000;
  int partitions = 50;  ///< per group: each group commits every partition of one topic
  int commits = 100;    ///< per group partition
  int topics = 20;
  int offsets_partitions = 8;
  std::string compression = "none";
  bool create_topics = true;
  int deadline_s = 600;
  int runs = 1;  ///< warren replays of the same data, each a fresh process
};

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--groups") o.groups = std::stoi(next());
    else if (a == "--partitions") o.partitions = std::stoi(next());
    else if (a == "--commits") o.commits = std::stoi(next());
    else if (a == "--topics") o.topics = std::stoi(next());
    else if (a == "--offsets-partitions") o.offsets_partitions = std::stoi(next());
    else if (a == "--compression") o.compression = next();
    else if (a == "--no-topics") o.create_topics = false;
    else if (a == "--deadline") o.deadline_s = std::stoi(next());
    else if (a == "--runs") o.runs = std::stoi(next());
    else throw std::invalid_argument("unknown argument " + a);
  }
  return o;
}

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void quiet_log(const rd_kafka_t*, int, const char*, const char*) {}

std::uint32_t fnv1a(const std::string& s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

struct delivery_counts {
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;
  std::string first_error;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* d = static_cast<delivery_counts*>(opaque);
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++d->ok;
  } else {
    if (d->failed++ == 0) d->first_error = rd_kafka_err2str(m->err);
  }
}

// Writes the commit records; returns how many were acknowledged.
std::uint64_t generate(const options& o, const std::string& bootstrap, const std::string& offsets_topic,
                       const std::vector<std::string>& topics) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  delivery_counts counts;
  const std::map<std::string, std::string> props{
      {"bootstrap.servers", bootstrap},
      {"acks", "1"},
      {"enable.idempotence", "false"},
      {"linger.ms", "20"},
      {"batch.size", "1000000"},
      {"batch.num.messages", "100000"},
      {"queue.buffering.max.messages", "2000000"},
      {"queue.buffering.max.kbytes", "1048576"},
      {"compression.codec", o.compression},
      {"message.max.bytes", "1000000"},
  };
  for (const auto& [k, v] : props)
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
      throw std::runtime_error("producer " + k + ": " + err);
  rd_kafka_conf_set_log_cb(conf, quiet_log);
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, &counts);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) throw std::runtime_error(std::string("producer: ") + err);
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, offsets_topic.c_str(), nullptr);

  // Keys are the same for every commit of a group partition: encode them once.
  struct target {
    wo::byte_buffer key;
    std::int32_t offsets_partition;
  };
  std::vector<std::string> group_names;
  std::vector<target> targets;  // groups × partitions
  targets.reserve(static_cast<std::size_t>(o.groups) * static_cast<std::size_t>(o.partitions));
  for (int g = 0; g < o.groups; ++g) {
    group_names.push_back("bench-consumer-group-" + std::to_string(g));
    const auto& topic = topics[static_cast<std::size_t>(g % o.topics)];
    const auto op = static_cast<std::int32_t>(fnv1a(group_names.back()) % static_cast<std::uint32_t>(o.offsets_partitions));
    for (int p = 0; p < o.partitions; ++p) targets.push_back({wo::encode_offset_commit_key(group_names.back(), topic, p, 1), op});
  }

  // Commit timestamps end about now, one second apart per round (inside expire-group, increasing).
  const std::int64_t ts0 = wall_ms() - static_cast<std::int64_t>(o.commits) * 1000;
  wo::offset_commit c;
  c.key_version = 1;
  c.value_version = 3;
  c.leader_epoch = 0;
  c.metadata = "";
  std::uint64_t sent = 0;
  const auto start = clock_type::now();
  for (int round = 0; round < o.commits; ++round) {
    for (std::size_t i = 0; i < targets.size(); ++i) {
      c.offset = static_cast<std::int64_t>(round) * 1000 + static_cast<std::int64_t>(i % 997);
      c.commit_timestamp = ts0 + static_cast<std::int64_t>(round) * 1000;
      const auto value = wo::encode_offset_commit_value(c);
      const auto& t = targets[i];
      for (;;) {
        if (rd_kafka_produce(rkt, t.offsets_partition, RD_KAFKA_MSG_F_COPY, const_cast<std::byte*>(value.data()),
                             value.size(), t.key.data(), t.key.size(), nullptr) == 0)
          break;
        if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL)
          throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(rd_kafka_last_error()));
        rd_kafka_poll(rk, 5);
      }
      if ((++sent & 0x3ff) == 0) rd_kafka_poll(rk, 0);
    }
  }
  while (rd_kafka_outq_len(rk) > 0 && seconds_since(start) < o.deadline_s) rd_kafka_poll(rk, 50);
  const double took = seconds_since(start);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  std::printf("produce_compression %s\n", o.compression.c_str());
  std::printf("produce_records %llu\n", static_cast<unsigned long long>(counts.ok));
  std::printf("produce_failed %llu%s%s\n", static_cast<unsigned long long>(counts.failed),
              counts.failed ? " " : "", counts.first_error.c_str());
  std::printf("produce_seconds %.2f\n", took);
  std::printf("produce_records_per_s %.0f\n", static_cast<double>(counts.ok) / took);
  std::fflush(stdout);
  return counts.ok;
}

// Sum of every sample of `name` in a Prometheus text page (all label sets); nullopt-like -1 when absent.
double metric(const std::string& page, const std::string& name, const std::string& label_filter = {}) {
  std::istringstream in(page);
  std::string line;
  double sum = 0;
  bool found = false;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.compare(0, name.size(), name) != 0) continue;
    if (line.size() > name.size() && line[name.size()] != ' ' && line[name.size()] != '{') continue;
    if (!label_filter.empty() && line.find(label_filter) == std::string::npos) continue;
    auto sp = line.rfind(' ');
    sum += std::strtod(line.c_str() + sp + 1, nullptr);
    found = true;
  }
  return found ? sum : -1;
}

// CPU seconds (user + system) per thread name of a process, from /proc/PID/task/*/stat.
std::map<std::string, double> thread_cpu(pid_t pid) {
  std::map<std::string, double> out;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream f(e.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const auto open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    const std::string name = stat.substr(open + 1, close - open - 1);
    std::istringstream rest(stat.substr(close + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {  // fields 14 and 15: utime, stime
      if (i == 14) utime = std::strtod(field.c_str(), nullptr);
      if (i == 15) stime = std::strtod(field.c_str(), nullptr);
    }
    out[name] += (utime + stime) / tick;
  }
  return out;
}

long vm_hwm_kb(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

void measure(const options& o, const wt::kafka_cluster& cluster, const std::string& offsets_topic,
             std::uint64_t produced) {
  std::string config = wt::cluster_config("bench", cluster.bootstrap(), offsets_topic);
  config += "[warren]\nready-timeout = 0\n";
  const auto t0 = clock_type::now();
  wt::warren_process warren(config, std::chrono::seconds(60));
  const pid_t pid = warren.process().pid();
  std::printf("warren_started_seconds %.2f\n", seconds_since(t0));

  // /metrics renders every group (milliseconds at thousands of groups, on warren's io thread), so
  // it is read every 50 ms only until the first record shows, then every 2 s; /burrow/admin/ready
  // (READY = caught up, since ready-timeout is 0) is cheap and read every 50 ms.
  const auto deadline = t0 + std::chrono::seconds(o.deadline_s);
  double first_t = -1, first_records = 0, caught_t = -1, stored_t = -1;
  std::string page;
  double records = 0;
  auto last_page = clock_type::now() - std::chrono::hours(1);
  auto get = [&](const char* target) {
    try {
      return warren.get(target).body;
    } catch (const std::exception&) {
      return std::string();
    }
  };
  for (;;) {
    const double now = seconds_since(t0);
    const bool ready = get("/burrow/admin/ready") == "READY";
    if (ready && caught_t < 0) caught_t = now;
    if (first_t < 0 || ready || clock_type::now() - last_page > std::chrono::seconds(2)) {
      page = get("/metrics");
      last_page = clock_type::now();
      records = metric(page, "warren_offsets_records_total");
      if (records > 0 && first_t < 0) {
        first_t = now;
        first_records = records;
      }
    }
    if (ready && metric(page, "warren_store_commits_total") >= static_cast<double>(produced)) {
      stored_t = seconds_since(t0);
      break;
    }
    if (clock_type::now() > deadline || !warren.process().running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const std::string ready = get("/burrow/admin/ready");
  const long hwm = vm_hwm_kb(pid);
  const auto cpu = thread_cpu(pid);

  std::printf("warren_records %.0f\n", records);
  std::printf("ready %s\n", ready.c_str());
  if (caught_t < 0) std::printf("caught_up NO (deadline %d s)\n", o.deadline_s);
  std::printf("first_record_seconds %.2f\n", first_t);
  std::printf("caught_up_seconds %.2f\n", caught_t);
  std::printf("stored_seconds %.2f\n", stored_t);
  if (caught_t > first_t && first_t >= 0) {
    std::printf("ingest_records_per_s %.0f\n", (records - first_records) / (caught_t - first_t));
    std::printf("ingest_records_per_s_from_start %.0f\n", records / caught_t);
  }
  std::printf("store_commits_stored %.0f\n", metric(page, "warren_store_commits_total", "\"stored\""));
  std::printf("store_commits_held %.0f\n", metric(page, "warren_store_commits_total", "\"held\""));
  std::printf("store_commits_dropped %.0f\n", metric(page, "warren_store_commits_total", "\"dropped\""));
  std::printf("store_tracked_partitions %.0f\n", metric(page, "warren_store_tracked_partitions"));
  std::printf("store_pending_commits %.0f\n", metric(page, "warren_store_pending_commits"));
  std::printf("peak_rss_bytes %ld\n", hwm * 1024);
  double cpu_total = 0;
  for (const auto& [name, seconds] : cpu) {
    std::printf("cpu_seconds_thread %s %.2f\n", name.c_str(), seconds);
    cpu_total += seconds;
  }
  std::printf("cpu_seconds_total %.2f\n", cpu_total);
  if (cpu_total > 0) std::printf("records_per_cpu_s %.0f\n", records / cpu_total);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const options o = parse(argc, argv);
    std::printf("records_planned %lld\n", static_cast<long long>(o.groups) * o.partitions * o.commits);
    wt::kafka_cluster cluster;
    const std::string offsets_topic = "bench-offsets";
    cluster.create_topic(offsets_topic, o.offsets_partitions);
    std::vector<std::string> topics;
    for (int t = 0; t < o.topics; ++t) topics.push_back("bench-data-" + std::to_string(t));
    if (o.create_topics)
      for (const auto& t : topics) cluster.create_topic(t, o.partitions);
    const auto produced = generate(o, cluster.bootstrap(), offsets_topic, topics);
    for (int run = 0; run < o.runs; ++run) {
      if (o.runs > 1) std::printf("run %d\n", run + 1);
      measure(o, cluster, offsets_topic, produced);
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_ingest: %s\n", e.what());
    return 1;
  }
}
