// /metrics at scale (issue 12): a real store and evaluator hold G groups x T topics x P partitions
// (shared topics, like replay.sh: 2 rounds of commits and log-end offsets, owners, so every series
// family has values), served by the real http::server + api_v3 on loopback. Prints, per scrape:
// wall time until the last byte at the client, body bytes, the longest single io-thread turn during
// the scrape (measured around each handler the io_context runs), and the worst latency of a
// /v3/health probe looping on another connection meanwhile, and the process's RSS after it (a scrape
// keeps nothing: RSS must not grow with the body). Every scrape renders every group (nothing is
// cached); the first one also grows the allocator's pools. Then the per-set body sizes and render
// times. Numbers only, no assertions.
// Usage: bench_metrics_scrape [groups] [topics] [partitions] [scrapes]   (default 1000 10 10 3 = 100 k)
//        WARREN_METRICS_WHOLE=1: serve the whole-string render instead (ctx.metrics, no cache, no stream).
//        WARREN_METRICS_SETS="burrow warren": the naming sets served (default: all three, Warren's default).
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "service/config/config.hpp"
#include "service/core/actor.hpp"
#include "service/core/clock.hpp"
#include "service/evaluator/group_evaluator.hpp"
#include "service/http/api_v3.hpp"
#include "service/http/server.hpp"
#include "service/metrics/metrics.hpp"
#include "service/storage/offset_store.hpp"

using namespace warren;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

namespace {
double ms(steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
// Resident set size from /proc/self/statm, MB.
double rss_mb() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1e6;
}

// One GET on a fresh connection (Connection: close); returns the bytes after the header.
std::size_t get_all(unsigned short port, const char* target) {
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect({asio::ip::make_address("127.0.0.1"), port});
  std::string req = std::string("GET ") + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  asio::write(s, asio::buffer(req));
  std::vector<char> buf(1 << 20);
  std::size_t total = 0, header = 0;
  std::string head;
  boost::system::error_code ec;
  for (;;) {
    auto n = s.read_some(asio::buffer(buf), ec);
    if (ec) break;
    if (header == 0 && head.size() < 65536) {
      head.append(buf.data(), n);
      if (auto p = head.find("\r\n\r\n"); p != std::string::npos) header = p + 4;
    }
    total += n;
  }
  return total - header;
}

// A keep-alive /v3/health loop; records the worst round trip until `stop`.
struct prober {
  unsigned short port;
  std::atomic<bool> stop{false};
  std::atomic<bool> measuring{false};
  std::atomic<int> scrape{0};  ///< which scrape is measured
  std::atomic<double> worst_ms{0};
  std::atomic<std::size_t> probes{0};
  std::thread t;
  void start() {
    t = std::thread([this] {
      asio::io_context io;
      asio::ip::tcp::socket s(io);
      s.connect({asio::ip::make_address("127.0.0.1"), port});
      const std::string req = "GET /v3/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
      std::string in;
      std::vector<char> buf(65536);
      boost::system::error_code ec;
      while (!stop) {
        const auto began = steady::now();
        // Only round trips begun and ended during one scrape count: one sent as a scrape ended waits
        // for the bench's own synchronous work before the next (new commits, flush_now).
        const int during = measuring ? scrape.load() : -1;
        asio::write(s, asio::buffer(req), ec);
        if (ec) return;
        in.clear();
        // Read one response: header with Content-Length, then that many bytes.
        std::size_t need = std::string::npos;
        while (true) {
          auto n = s.read_some(asio::buffer(buf), ec);
          if (ec) return;
          in.append(buf.data(), n);
          auto h = in.find("\r\n\r\n");
          if (h != std::string::npos && need == std::string::npos) {
            auto cl = in.find("Content-Length: ");
            if (cl == std::string::npos) cl = in.find("content-length: ");
            need = h + 4 + std::stoul(in.substr(cl + 16));
          }
          if (need != std::string::npos && in.size() >= need) break;
        }
        if (measuring && scrape == during) {
          worst_ms = std::max(worst_ms.load(), ms(steady::now() - began));
          ++probes;
        }
      }
    });
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const int groups = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int topics = argc > 2 ? std::atoi(argv[2]) : 10;
  const int partitions = argc > 3 ? std::atoi(argv[3]) : 10;
  const int scrapes = argc > 4 ? std::atoi(argv[4]) : 3;
  const bool whole = std::getenv("WARREN_METRICS_WHOLE") && std::string(std::getenv("WARREN_METRICS_WHOLE")) == "1";
  unsigned served_sets = all_metric_sets;
  if (const char* e = std::getenv("WARREN_METRICS_SETS")) {
    served_sets = 0;
    for (std::string_view rest = e; !rest.empty();) {
      const auto space = rest.find(' ');
      served_sets |= metric_set_named(rest.substr(0, space));
      rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    }
    std::printf("naming sets served: %s\n", e);
  }

  asio::io_context ioc;
  supervisor sup;
  offset_store store{ioc.get_executor(), sup, storage_options{}, {"c"}};
  group_evaluator evaluator{ioc.get_executor(), sup, store, evaluator_options{}, 10ms, 1h};
  store.set_sink(evaluator.inbox());
  std::vector<std::string> topic_names, group_names;
  for (int t = 0; t < topics; ++t) topic_names.push_back("bench-data-" + std::to_string(t));
  for (int g = 0; g < groups; ++g) group_names.push_back("g-" + std::to_string(g));
  const std::int64_t wall = clock::system().wall_ms();
  std::int64_t order = 0;
  auto t0 = steady::now();
  auto round = [&](int r, int every) {
    store_cmd::batch b{"c", {}};
    for (int t = 0; t < topics; ++t) {
      std::vector<std::int64_t> offsets(static_cast<std::size_t>(partitions), 100'000 + r * 1000);
      b.commands.emplace_back(store_cmd::broker_offsets{.topic = topic_name{topic_names[static_cast<std::size_t>(t)]},
                                                        .partition_count = partitions,
                                                        .offsets = std::move(offsets),
                                                        .observed_at = timestamp_ms{wall - (3 - r) * 10'000}});
    }
    store.apply_now(b);
    for (int g = 0; g < groups; g += every) {
      store_cmd::batch gb{"c", {}};
      for (int t = 0; t < topics; ++t)
        for (int p = 0; p < partitions; ++p) {
          const auto& gname = group_names[static_cast<std::size_t>(g)];
          const auto& tname = topic_names[static_cast<std::size_t>(t)];
          gb.commands.emplace_back(store_cmd::commit{.group = group_name{gname},
                                                     .topic = topic_name{tname},
                                                     .partition = partition_id{p},
                                                     .offset = offset_t{100'000 + r * 1000 - 50 - p},
                                                     .order = ++order,
                                                     .timestamp = timestamp_ms{wall - (3 - r) * 10'000 + 500}});
          if (r == 0)
            gb.commands.emplace_back(store_cmd::owner{.group = group_name{gname},
                                                      .topic = topic_name{tname},
                                                      .partition = partition_id{p},
                                                      .host = "/10.0.0." + std::to_string(g % 250),
                                                      .client_id = "consumer-" + std::to_string(g)});
        }
      store.apply_now(gb);
    }
  };
  round(0, 1);
  round(1, 1);
  evaluator.flush_now();
  std::printf("partitions %lld (groups %d x topics %d x partitions %d), statuses kept %zu, built in %.0f ms\n",
              static_cast<long long>(groups) * topics * partitions, groups, topics, partitions, evaluator.size(),
              ms(steady::now() - t0));

  config cfg;
  cfg.clusters["c"];
  metrics_sources src;
  src.evaluator = &evaluator;
  src.store = &store;
  http::api_context ctx;
  ctx.cfg = &cfg;
  ctx.store = &store;
  ctx.evaluator = &evaluator;
  if (whole) ctx.metrics = [&] { return render_metrics(src, served_sets); };
  else
    ctx.metrics_stream = [&] {
      return scrape_metrics(&evaluator, served_sets, [&] { return render_metrics_tail(src, served_sets); });
    };
  http::api_v3 api(ctx);
  http::server_options so;
  so.address = "127.0.0.1:0";
  so.hostname = "bench";
  http::server srv(ioc.get_executor(), so, [&](const http::request& r) { return api.handle(r); });
  std::string err;
  if (!srv.listen(err)) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  srv.start();
  const auto port = srv.port();
  prober probe{port};
  probe.start();

  std::printf("RSS before the first scrape: %.0f MB\n", rss_mb());
  std::printf("%-26s %10s %14s %16s %16s %10s %8s\n", "scrape", "seconds", "bytes", "longest_turn_ms",
              "health_worst_ms", "probes", "rss_mb");
  auto scrape = [&](const char* label) {
    std::atomic<bool> done{false};
    std::size_t bytes = 0;
    double longest = 0;
    probe.worst_ms = 0;
    probe.probes = 0;
    ++probe.scrape;
    probe.measuring = true;
    const auto began = steady::now();
    steady::time_point finished;
    std::thread client([&] {
      bytes = get_all(port, "/metrics");
      finished = steady::now();
      done = true;
    });
    while (!done) {
      const auto turn = steady::now();
      if (ioc.run_one_for(50ms) == 0) continue;
      longest = std::max(longest, ms(steady::now() - turn));
    }
    client.join();
    probe.measuring = false;
    std::printf("%-26s %10.3f %14zu %16.2f %16.2f %10zu %8.0f\n", label, ms(finished - began) / 1000, bytes, longest,
                probe.worst_ms.load(), probe.probes.load(), rss_mb());
  };
  for (int i = 0; i < scrapes; ++i) scrape(i == 0 ? "first" : "again");
  round(2, 10);  // one group in ten commits again
  evaluator.flush_now();
  scrape("1 group in 10 changed");
  probe.stop = true;
  // Let the prober's last request finish.
  for (int i = 0; i < 100 && ioc.run_one_for(10ms); ++i) {
  }
  probe.t.join();
  srv.stop();
  for (int i = 0; i < 100 && ioc.run_one_for(10ms); ++i) {
  }

  std::printf("%-10s %14s %12s\n", "set", "bytes", "render_s");
  for (auto [name, sets] : {std::pair<const char*, unsigned>{"burrow", metric_set_burrow},
                            {"kle", metric_set_kle},
                            {"warren", metric_set_warren},
                            {"all", all_metric_sets}}) {
    const auto began = steady::now();
    const auto body = render_metrics(src, sets);
    std::printf("%-10s %14zu %12.3f\n", name, body.size(), ms(steady::now() - began) / 1000);
  }
  return 0;
}
