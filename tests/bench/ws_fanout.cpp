// Fan-out of the live status stream: N WebSocket clients × M status changes per second through a
// real ws_hub behind a real http::server (sessions, outboxes, coalescing, Beast writes). The
// changes are fed to the hub's evaluator-subscriber entry point (ws_hub::on_change) from a timer,
// rotating over G groups. The server runs in a child process (its own fd limit and CPU account);
// the clients run in the parent on one thread and subscribe to everything at summary detail.
// Prints numbers only: offered and delivered messages per second, coalesced, slow-client closes,
// server CPU (user+sys seconds per wall second) and peak RSS.
// Usage: bench_ws_fanout [clients] [changes_per_s] [seconds] [groups] [outbox]
//        (default: 1000 1000 10 1000 1024)
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "service/core/actor.hpp"
#include "service/core/feed.hpp"
#include "service/evaluator/group_evaluator.hpp"
#include "service/http/server.hpp"
#include "service/storage/offset_store.hpp"
#include "service/ws/ws_hub.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using namespace std::chrono_literals;

namespace {
struct params {
  int clients = 1000;
  int rate = 1000;
  int seconds = 10;
  int groups = 1000;
  int outbox = 1024;
};

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

long peak_rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

warren::group_status make_status(int g, bool warn) {
  warren::group_status s;
  s.cluster = "local";
  s.group = "group-" + std::to_string(g);
  s.status = warn ? warren::status_code::warn : warren::status_code::ok;
  s.complete = 1.0f;
  for (int p = 0; p < 4; ++p) {
    warren::partition_status ps;
    ps.topic = "topic-" + std::to_string(g % 50);
    ps.partition = p;
    ps.status = s.status;
    ps.current_lag = warn ? 1000u : 0u;
    s.partitions.push_back(ps);
  }
  s.partition_count = 4;
  s.maxlag = s.partitions[0];
  s.totallag = warn ? 4000 : 0;
  return s;
}

// The server: hub + HTTP listener. Writes its port to `to_parent`, waits for a byte on
// `from_parent`, feeds changes for `seconds`, then prints its numbers and exits.
int run_server(const params& p, int to_parent, int from_parent) {
  asio::io_context ioc(1);
  auto ex = ioc.get_executor();
  warren::supervisor sup;
  warren::feed<warren::cluster_event> cluster_changes;
  warren::offset_store store(ex, sup, warren::storage_options{}, {"local"});
  warren::group_evaluator evaluator(ex, sup, store, warren::evaluator_options{}, 100ms, 1h);
  warren::ws::hub_options o;
  o.limits.outbox = static_cast<std::size_t>(p.outbox);
  o.idle_timeout = 600s;
  warren::ws::ws_hub hub(ex, sup, evaluator, cluster_changes, {"local"}, o, nullptr);
  warren::http::server_options so;
  so.address = "127.0.0.1:0";
  so.upgrade = [&](warren::http::upgrade_request& up) { return hub.handle_upgrade(up); };
  warren::http::server server(ex, so, [](const warren::http::request&) { return warren::http::response{404, "text/plain", "", {}}; });
  std::string err;
  if (!server.listen(err)) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  server.start();
  unsigned short port = server.port();
  if (::write(to_parent, &port, sizeof port) != sizeof port) return 1;

  std::vector<warren::group_status> ok, warn;
  for (int g = 0; g < p.groups; ++g) {
    ok.push_back(make_status(g, false));
    warn.push_back(make_status(g, true));
  }
  std::vector<bool> is_warn(static_cast<std::size_t>(p.groups), false);

  asio::co_spawn(
      ex,
      [&]() -> warren::task<void> {
        asio::posix::stream_descriptor go(ex, ::dup(from_parent));
        char b = 0;
        co_await go.async_read_some(asio::buffer(&b, 1), warren::use_nothrow);
        const std::uint64_t sent0 = hub.stats().messages_sent;
        const double cpu0 = cpu_seconds();
        const auto t0 = std::chrono::steady_clock::now();
        asio::steady_timer tick(ex);
        const int per_tick = std::max(1, p.rate / 100);  // 10 ms ticks
        std::uint64_t offered_changes = 0;
        int next = 0;
        auto end = t0 + std::chrono::seconds(p.seconds);
        auto due = t0;
        while (std::chrono::steady_clock::now() < end) {
          for (int i = 0; i < per_tick; ++i) {
            auto g = static_cast<std::size_t>(next);
            next = (next + 1) % p.groups;
            bool w = !is_warn[g];
            is_warn[g] = w;
            const auto& cur = w ? warn[g] : ok[g];
            hub.on_change(warren::group_status_changed{cur.cluster, cur.group, &cur,
                                                       w ? warren::status_code::ok : warren::status_code::warn});
            ++offered_changes;
          }
          due += 10ms;
          tick.expires_at(due);
          co_await tick.async_wait(warren::use_nothrow);
        }
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double cpu = cpu_seconds() - cpu0;
        const std::uint64_t sent_in_window = hub.stats().messages_sent - sent0;
        // Let the outboxes drain, then report.
        tick.expires_after(2s);
        co_await tick.async_wait(warren::use_nothrow);
        const auto& st = hub.stats();
        std::printf(
            "server clients=%zu changes=%llu changes_per_s=%.0f offered_msgs_per_s=%.0f sent_msgs_per_s=%.0f "
            "sent_total=%llu coalesced=%llu dropped=%llu slow_closes=%llu cpu_per_s=%.2f peak_rss_mb=%.1f\n",
            hub.clients(), static_cast<unsigned long long>(offered_changes),
            static_cast<double>(offered_changes) / wall,
            static_cast<double>(offered_changes) * static_cast<double>(hub.clients()) / wall,
            static_cast<double>(sent_in_window) / wall, static_cast<unsigned long long>(st.messages_sent),
            static_cast<unsigned long long>(st.messages_coalesced), static_cast<unsigned long long>(st.messages_dropped),
            static_cast<unsigned long long>(st.slow_closes), cpu / wall, static_cast<double>(peak_rss_kb()) / 1024.0);
        std::fflush(stdout);
        std::_Exit(0);
      },
      asio::detached);
  ioc.run();
  return 0;
}

struct bench_client {
  explicit bench_client(asio::io_context& ioc) : ws(ioc) {}
  websocket::stream<beast::tcp_stream> ws;
  beast::flat_buffer buffer;
  std::uint64_t received = 0;
  bool ready = false;   // snapshot received
  bool closed = false;
};

warren::task<void> client_loop(bench_client& c, unsigned short port, int& connected) {
  auto ex = co_await asio::this_coro::executor;
  (void)ex;
  auto [ec] = co_await beast::get_lowest_layer(c.ws).async_connect(
      asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), warren::use_nothrow);
  if (ec) {
    c.closed = true;
    co_return;
  }
  c.ws.set_option(websocket::stream_base::decorator([](websocket::request_type& r) {
    r.set(beast::http::field::sec_websocket_protocol, "warren.v1");
  }));
  auto [hec] = co_await c.ws.async_handshake("127.0.0.1", "/v3/stream", warren::use_nothrow);
  if (hec) {
    c.closed = true;
    co_return;
  }
  std::string sub = R"({"type":"subscribe","detail":"summary"})";
  co_await c.ws.async_write(asio::buffer(sub), warren::use_nothrow);
  ++connected;
  for (;;) {
    auto [rec, n] = co_await c.ws.async_read(c.buffer, warren::use_nothrow);
    if (rec) break;
    if (!c.ready) {
      // hello, then the snapshot
      if (beast::buffers_to_string(c.buffer.data()).find("\"snapshot\"") != std::string::npos) c.ready = true;
    } else {
      ++c.received;
    }
    c.buffer.consume(c.buffer.size());
  }
  c.closed = true;
}

int run_clients(const params& p, unsigned short port, int to_server, pid_t server) {
  asio::io_context ioc(1);
  std::vector<std::unique_ptr<bench_client>> clients;
  int connected = 0;
  auto t_connect = std::chrono::steady_clock::now();
  for (int i = 0; i < p.clients; ++i) {
    clients.push_back(std::make_unique<bench_client>(ioc));
    asio::co_spawn(ioc, client_loop(*clients.back(), port, connected), asio::detached);
    if (i % 100 == 99) ioc.run_for(20ms);  // pace the connects (listen backlog)
  }
  auto all_ready = [&] {
    for (auto& c : clients)
      if (!c->ready && !c->closed) return false;
    return true;
  };
  while (!all_ready() && std::chrono::steady_clock::now() - t_connect < 120s) ioc.run_for(50ms);
  int ready = 0;
  for (auto& c : clients) ready += c->ready ? 1 : 0;
  std::printf("clients connected=%d ready=%d connect_s=%.1f\n", connected, ready,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t_connect).count());
  std::fflush(stdout);
  char go = 1;
  if (::write(to_server, &go, 1) != 1) return 1;
  auto t0 = std::chrono::steady_clock::now();
  ioc.run_for(std::chrono::seconds(p.seconds + 2));
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::uint64_t total = 0, lo = ~0ull, hi = 0;
  int closed = 0;
  for (auto& c : clients) {
    total += c->received;
    lo = std::min(lo, c->received);
    hi = std::max(hi, c->received);
    closed += c->closed ? 1 : 0;
  }
  int status = 0;
  ::waitpid(server, &status, 0);
  std::printf("clients received_total=%llu received_msgs_per_s=%.0f per_client_min=%llu per_client_max=%llu "
              "closed=%d\n",
              static_cast<unsigned long long>(total), static_cast<double>(total) / wall,
              static_cast<unsigned long long>(lo), static_cast<unsigned long long>(hi), closed);
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  params p;
  if (argc > 1) p.clients = std::atoi(argv[1]);
  if (argc > 2) p.rate = std::atoi(argv[2]);
  if (argc > 3) p.seconds = std::atoi(argv[3]);
  if (argc > 4) p.groups = std::atoi(argv[4]);
  if (argc > 5) p.outbox = std::atoi(argv[5]);
  int up[2], down[2];
  if (::pipe(up) != 0 || ::pipe(down) != 0) return 1;
  std::printf("ws_fanout clients=%d changes_per_s=%d seconds=%d groups=%d outbox=%d\n", p.clients, p.rate, p.seconds,
              p.groups, p.outbox);
  std::fflush(stdout);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(up[0]);
    ::close(down[1]);
    return run_server(p, up[1], down[0]);
  }
  ::close(up[1]);
  ::close(down[0]);
  unsigned short port = 0;
  if (::read(up[0], &port, sizeof port) != sizeof port) return 1;
  return run_clients(p, port, down[1], pid);
}
