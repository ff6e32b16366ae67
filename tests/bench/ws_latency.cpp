// Push latency of the live status stream, end to end on a real broker: a commit record produced to
// the offsets topic (acknowledged) → the `status` frame received by a WebSocket client of the real
// `warren` binary. Each sample is a new group's first commit (a NOTFOUND → OK change), so every
// commit produces exactly one frame. Default config: coalesce-ms = 100. Prints numbers only.
// Usage: bench_ws_latency [samples] [coalesce-ms]   (default: 100 100). Needs WARREN_BINARY.
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/support/offsets_encode.hpp"
#include "tests/support/kafka_harness.hpp"
#include "tests/support/poll_until.hpp"
#include "tests/support/test_clients.hpp"
#include "tests/support/warren_process.hpp"
#include "tests/support/ws_client.hpp"

using namespace warren::test;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  const int samples = argc > 1 ? std::atoi(argv[1]) : 100;
  const int coalesce = argc > 2 ? std::atoi(argv[2]) : 100;
  kafka_cluster kafka;
  kafka.create_topic("lat-offsets", 1);
  kafka.create_topic("lat-data", 1);
  producer(kafka.bootstrap()).produce("lat-data", 0, 10);
  warren_process w(cluster_config("local", kafka.bootstrap(), "lat-offsets") +
                   "[warren]\ncoalesce-ms = " + std::to_string(coalesce) + "\n");
  if (!warren::poll_until([&] { return w.get("/burrow/admin/ready").body == "READY"; }, 60s)) {
    std::fprintf(stderr, "warren not ready\n");
    return 1;
  }
  ws_test_client client(w.port());
  client.send(R"({"type":"subscribe","pattern":"^lat-","detail":"summary"})");
  client.read_until([](const auto& v) { return message_type(v) == "snapshot"; }, 10s);

  raw_producer rp(kafka.bootstrap());
  std::vector<double> ms;
  int lost = 0;
  for (int i = -5; i < samples; ++i) {  // 5 warm-up samples
    const std::string group = "lat-" + std::to_string(i + 5);
    auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    warren::offsets::offset_commit c;
    c.group = group;
    c.topic = "lat-data";
    c.partition = 0;
    c.offset = 10;
    c.commit_timestamp = now_ms;
    c.value_version = 1;
    auto e = warren::offsets::encode(c);
    raw_record r;
    r.key = std::string(reinterpret_cast<const char*>(e.key.data()), e.key.size());
    r.value = std::string(reinterpret_cast<const char*>(e.value->data()), e.value->size());
    auto t0 = std::chrono::steady_clock::now();
    rp.send("lat-offsets", 0, r);
    auto got = client.read_until(
        [&](const boost::json::value& v) {
          return message_type(v) == "status" && v.at("group").as_string() == group;
        },
        5s);
    auto t1 = std::chrono::steady_clock::now();
    if (!got) {
      ++lost;
      continue;
    }
    if (i >= 0) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) {
    if (ms.empty()) return 0.0;
    return ms[std::min(ms.size() - 1, static_cast<std::size_t>(p * static_cast<double>(ms.size())))];
  };
  std::printf("ws_latency samples=%zu lost=%d coalesce_ms=%d p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
              ms.size(), lost, coalesce, pct(0.50), pct(0.90), pct(0.99), ms.empty() ? 0.0 : ms.back());
  return 0;
}
