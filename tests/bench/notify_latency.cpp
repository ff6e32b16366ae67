// Notifier latency and load, end to end on a real broker with the real `warren` binary and a
// recording HTTP receiver on loopback (tests/support/http_receiver). Prints numbers only.
//
// 1. Latency: a commit record produced to the offsets topic (acknowledged) -> the notification
//    request arriving at the receiver. Each sample is a new group's first commit: a NOTFOUND -> OK
//    status change, which a threshold-1 module notifies at once (Burrow's rule 4: never notified).
//    So each sample covers ingest, evaluation (coalesce-ms), the rules, rendering and delivery.
//    Burrow's equivalent is bounded below by its poll `interval` (60 s by default).
// 2. Burst: N groups (default 10 000) change status at once (one produce call of N commits);
//    while the module drains, /metrics is sampled for the module's queue (max queued, dropped,
//    sent) and the binary's RSS is read from /proc; a probe thread times the API meanwhile (one
//    group's status, and the list of all groups), and again once quiet. The module queue holds
//    1024 (drop oldest beyond).
// Usage: bench_notify_latency [samples] [burst-groups] [coalesce-ms] [quiet]  (default: 1000 10000
// 50; "quiet" = the module never notifies, for the burst's API figures without deliveries).
// Needs WARREN_BINARY (absolute path of the warren binary) or runs the one built alongside.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/http_receiver.hpp"
#include "tests/support/kafka_harness.hpp"
#include "tests/support/offsets_encode.hpp"
#include "tests/support/poll_until.hpp"
#include "tests/support/test_clients.hpp"
#include "tests/support/warren_process.hpp"

using namespace warren::test;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

raw_record commit_record(const std::string& group, std::int64_t offset) {
  warren::offsets::offset_commit c;
  c.group = group;
  c.topic = "nl-data";
  c.partition = 0;
  c.offset = offset;
  c.commit_timestamp =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  c.value_version = 1;
  auto e = warren::offsets::encode(c);
  raw_record r;
  r.key = std::string(reinterpret_cast<const char*>(e.key.data()), e.key.size());
  r.value = std::string(reinterpret_cast<const char*>(e.value->data()), e.value->size());
  return r;
}

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

// A sample of the module's counters in /metrics (-1 when absent).
double metric(const std::string& text, const std::string& name) {
  const std::string key = name + "{notifier=\"bench\"} ";
  auto at = text.find(key);
  return at == std::string::npos ? -1 : std::atof(text.c_str() + at + key.size());
}

long rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  const int samples = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int burst = argc > 2 ? std::atoi(argv[2]) : 10000;
  const int coalesce = argc > 3 ? std::atoi(argv[3]) : 50;
  // "quiet": the module's threshold is 3, so no change is notified (the coordinator still applies
  // the rules to every change): the burst's API figures without deliveries, for comparison.
  const bool quiet_module = argc > 4 && std::string(argv[4]) == "quiet";

  kafka_cluster kafka;
  kafka.create_topic("nl-offsets", 1);
  kafka.create_topic("nl-data", 1);
  producer(kafka.bootstrap()).produce("nl-data", 0, 10);

  http_receiver rx;
  std::mutex mu;
  std::map<std::string, steady::time_point> arrived;  // target -> first arrival
  rx.on_request([&](const http_receiver::request& r) {
    std::lock_guard lock(mu);
    arrived.emplace(r.target, r.at);
  });
  auto tmpl = write_temp_file("open.tmpl", R"({"group":{{jsonencoder .Group}},"status":"{{.Result.Status}}"})");
  warren_process w(cluster_config("local", kafka.bootstrap(), "nl-offsets") + "[warren]\ncoalesce-ms = " +
                   std::to_string(coalesce) + "\n\n[notifier.bench]\nclass-name = \"http\"\nurl-open = \"" +
                   rx.url("/open/{{.Group}}") + "\"\ntemplate-open = \"" + tmpl.string() +
                   "\"\nthreshold = " + (quiet_module ? "3" : "1") + "\nsend-interval = 3600\ninterval = 3600\n");
  if (!warren::poll_until([&] { return w.get("/burrow/admin/ready").body == "READY"; }, 60s)) {
    std::fprintf(stderr, "warren not ready\n");
    return 1;
  }
  auto arrival = [&](const std::string& group) -> std::optional<steady::time_point> {
    std::lock_guard lock(mu);
    auto it = arrived.find("/open/" + group);
    if (it == arrived.end()) return std::nullopt;
    return it->second;
  };

  // 1. Latency, one change at a time.
  raw_producer rp(kafka.bootstrap());
  std::vector<double> ms;
  int lost = 0;
  for (int i = -10; i < (quiet_module ? 0 : samples); ++i) {  // 10 warm-up samples
    const std::string group = "nl-lat-" + std::to_string(i + 10);
    auto r = commit_record(group, 10);
    auto t0 = steady::now();
    rp.send("nl-offsets", 0, r);
    if (quiet_module) {  // nothing is notified: wait for the group instead
      warren::poll_until([&] { return w.get("/v3/kafka/local/consumer/" + group + "/status").status == 200; }, 5s, 1ms);
      continue;
    }
    if (!warren::poll_until([&] { return arrival(group).has_value(); }, 5s, 1ms)) {
      ++lost;
      continue;
    }
    if (i >= 0) ms.push_back(std::chrono::duration<double, std::milli>(*arrival(group) - t0).count());
  }
  std::printf("notify_latency samples=%zu lost=%d coalesce_ms=%d p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
              ms.size(), lost, coalesce, pct(ms, 0.50), pct(ms, 0.90), pct(ms, 0.99),
              ms.empty() ? 0.0 : *std::max_element(ms.begin(), ms.end()));
  std::fflush(stdout);

  // 2. Burst: `burst` groups change at once.
  const auto before = w.get("/metrics").body;
  const double sent0 = metric(before, "warren_notifier_sent_total");
  const double dropped0 = metric(before, "warren_notifier_dropped_total");
  const long rss0 = rss_kb(w.process().pid());
  std::vector<raw_record> records;
  records.reserve(static_cast<std::size_t>(burst));
  for (int i = 0; i < burst; ++i) records.push_back(commit_record("nl-burst-" + std::to_string(i), 10));
  const auto t0 = steady::now();
  rp.send("nl-offsets", 0, records, 120s);
  const double produce_ms = std::chrono::duration<double, std::milli>(steady::now() - t0).count();

  double max_queued = 0, sent = 0, dropped = 0;
  long max_rss = rss0;
  steady::time_point drained{};
  // The API while it drains: a probe thread times one group's status (and, every 10th, the
  // list of all groups) until the queue is drained.
  std::atomic<bool> probing{true};
  std::vector<double> status_ms, list_ms;
  std::thread probe([&] {
    for (int i = 0; probing; ++i) {
      auto a = steady::now();
      w.get("/v3/kafka/local/consumer/nl-lat-0/status");
      status_ms.push_back(std::chrono::duration<double, std::milli>(steady::now() - a).count());
      if (i % 10 == 0) {
        a = steady::now();
        w.get("/v3/kafka/local/consumer");
        list_ms.push_back(std::chrono::duration<double, std::milli>(steady::now() - a).count());
      }
    }
  });
  // Drained: every change was sent or dropped and the queue is empty (deadline 180 s).
  warren::poll_until(
      [&] {
        auto m = w.get("/metrics").body;
        const double queued = metric(m, "warren_notifier_queued");
        max_queued = std::max(max_queued, queued);
        sent = metric(m, "warren_notifier_sent_total") - sent0;
        dropped = metric(m, "warren_notifier_dropped_total") - dropped0;
        max_rss = std::max(max_rss, rss_kb(w.process().pid()));
        bool done = quiet_module ? w.get("/v3/kafka/local/consumer/nl-burst-" + std::to_string(burst - 1) + "/status")
                                           .status == 200
                                 : sent + dropped >= burst && queued == 0;
        if (done) drained = steady::now();
        return done;
      },
      180s, 250ms);  // not more often: /metrics renders every group's series on the io thread
  probing = false;
  probe.join();
  const double drain_ms =
      drained == steady::time_point{} ? -1 : std::chrono::duration<double, std::milli>(drained - t0).count();
  std::size_t received = 0;
  {
    std::lock_guard lock(mu);
    for (const auto& [target, at] : arrived) received += target.rfind("/open/nl-burst-", 0) == 0;
  }
  // The same API calls once it is quiet again, for comparison.
  std::vector<double> quiet_status_ms, quiet_list_ms;
  for (int i = 0; i < 50; ++i) {
    auto a = steady::now();
    w.get("/v3/kafka/local/consumer/nl-lat-0/status");
    quiet_status_ms.push_back(std::chrono::duration<double, std::milli>(steady::now() - a).count());
    if (i % 10 == 0) {
      a = steady::now();
      w.get("/v3/kafka/local/consumer");
      quiet_list_ms.push_back(std::chrono::duration<double, std::milli>(steady::now() - a).count());
    }
  }
  std::printf("notify_burst groups=%d produce_ms=%.0f drain_ms=%.0f sent=%.0f dropped=%.0f received=%zu "
              "max_queued=%.0f queue_capacity=1024 rss_before_mb=%.1f rss_max_mb=%.1f\n",
              burst, produce_ms, drain_ms, sent, dropped, received, max_queued, rss0 / 1024.0, max_rss / 1024.0);
  std::printf("notify_burst_api draining: status samples=%zu p50_ms=%.1f p99_ms=%.1f max_ms=%.1f, "
              "list(%d groups) samples=%zu p50_ms=%.1f max_ms=%.1f; quiet: status p50_ms=%.1f p99_ms=%.1f, "
              "list p50_ms=%.1f\n",
              status_ms.size(), pct(status_ms, 0.5), pct(status_ms, 0.99), pct(status_ms, 1.0), burst + samples,
              list_ms.size(), pct(list_ms, 0.5), pct(list_ms, 1.0), pct(quiet_status_ms, 0.5),
              pct(quiet_status_ms, 0.99), pct(quiet_list_ms, 0.5));
  return 0;
}
