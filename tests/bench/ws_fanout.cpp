// Fan-out of the live status stream: N WebSocket clients × M status changes per second through a
// real ws_hub behind a real http::server (sessions, outboxes, coalescing, Beast writes). The
// changes are fed to the hub's evaluator-subscriber entry point (ws_hub::on_change) from a timer,
// rotating over G groups: every change due by then is offered in one turn (begin_changes ..
// end_changes), as the evaluator's drain slices are, so a busy server does not slow the feed. The server runs in a child process (its own fd limit and CPU account);
// the clients run in the parent on one thread and subscribe to everything at summary detail.
//
// The clients are deliberately cheap so that they are not what limits the figure: after a plain
// HTTP upgrade they read the raw socket into one shared buffer and parse the (unmasked) server
// frames themselves, counting messages and checking that every connection's seq has no gap. Each
// status carries its send time (steady clock, shared by both processes) in `totallag`, which gives
// the delivery latency (on_change → the client read the frame holding it).
// `v1` clients offer only warren.v1 (one message per frame); `v2` clients offer warren.v2 first
// (batch frames, proto/ws/messages.schema.json), and the protocol the server chose is printed.
//
// Prints numbers only, one line per run: offered and delivered messages per second (delivered =
// read by the clients during the feed window), frames, dropped clients (closed by the server) and
// slow-client closes, seq gaps, p50/p99/max delivery latency, server CPU (user+sys seconds per
// wall second), the server's RSS after connecting, at the end of the window, and its peak.
// Usage: bench_ws_fanout                   the table: 1 000 and 10 000 clients, v1 and v2
//        bench_ws_fanout clients [changes_per_s] [seconds] [groups] [outbox] [v1|v2]
//        (defaults: 1000 1000 10 1000 1024 v2)
// The fd limit is raised to the hard limit inside (10 000 clients need ~10 000 fds per process).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "service/core/actor.hpp"
#include "service/core/feed.hpp"
#include "service/evaluator/group_evaluator.hpp"
#include "service/http/server.hpp"
#include "service/storage/offset_store.hpp"
#include "service/ws/ws_hub.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {
struct params {
  int clients = 1000;
  int rate = 1000;
  int seconds = 10;
  int groups = 1000;
  int outbox = 1024;
  bool batch = true;  // v2 clients
};

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

long status_kb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const auto n = std::strlen(field);
  while (std::getline(in, line))
    if (line.compare(0, n, field) == 0) return std::atol(line.c_str() + n);
  return 0;
}

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

void raise_fd_limit() {
  rlimit l{};
  if (::getrlimit(RLIMIT_NOFILE, &l) != 0) return;
  l.rlim_cur = l.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &l);
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
  s.totallag = 0;  // the send time, set per change
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
  so.max_connections = static_cast<std::size_t>(p.clients) + 100;
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
        const long rss_connected = status_kb("VmRSS:");
        const std::uint64_t sent0 = hub.stats().messages_sent;
        const double cpu0 = cpu_seconds();
        const auto t0 = std::chrono::steady_clock::now();
        asio::steady_timer tick(ex);
        std::uint64_t offered_changes = 0, offered_msgs = 0;
        int next = 0;
        auto end = t0 + std::chrono::seconds(p.seconds);
        auto due = t0;
        while (std::chrono::steady_clock::now() < end) {
          // Every change due by now is offered in this turn, however late the tick fired (a busy io
          // thread fires it late): the feed keeps its rate, as the evaluator does, whose pass
          // announces all of its changes together. Offering one tick's worth per turn instead made
          // the feed, not the server, the limit (7 changes/s at 10 000 clients).
          const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          const auto due_changes = static_cast<std::uint64_t>(elapsed * p.rate) + 1;
          const auto this_turn = due_changes > offered_changes ? due_changes - offered_changes : 0;
          hub.begin_changes();  // one turn, as the evaluator's drain slice is
          for (std::uint64_t i = 0; i < this_turn; ++i) {
            auto g = static_cast<std::size_t>(next);
            next = (next + 1) % p.groups;
            bool w = !is_warn[g];
            is_warn[g] = w;
            auto& cur = w ? warn[g] : ok[g];
            cur.totallag = now_ns();
            hub.on_change(warren::group_status_changed{cur.cluster, cur.group, &cur,
                                                       w ? warren::status_code::ok : warren::status_code::warn});
            ++offered_changes;
            offered_msgs += hub.clients();
          }
          hub.end_changes();
          due += 10ms;
          tick.expires_at(due);
          co_await tick.async_wait(warren::use_nothrow);
        }
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double cpu = cpu_seconds() - cpu0;
        const std::uint64_t sent_in_window = hub.stats().messages_sent - sent0;
        const long rss_end = status_kb("VmRSS:");
        // Let the outboxes drain, then report.
        tick.expires_after(2s);
        co_await tick.async_wait(warren::use_nothrow);
        const auto& st = hub.stats();
        std::printf(
            "server clients=%zu changes_per_s=%.0f offered_msgs_per_s=%.0f sent_msgs_per_s=%.0f coalesced=%llu "
            "dropped_msgs=%llu slow_closes=%llu cpu_per_s=%.2f rss_connected_mb=%.1f rss_end_mb=%.1f "
            "peak_rss_mb=%.1f\n",
            hub.clients(), static_cast<double>(offered_changes) / wall, static_cast<double>(offered_msgs) / wall,
            static_cast<double>(sent_in_window) / wall, static_cast<unsigned long long>(st.messages_coalesced),
            static_cast<unsigned long long>(st.messages_dropped), static_cast<unsigned long long>(st.slow_closes),
            cpu / wall, static_cast<double>(rss_connected) / 1024.0, static_cast<double>(rss_end) / 1024.0,
            static_cast<double>(status_kb("VmHWM:")) / 1024.0);
        std::fflush(stdout);
        std::_Exit(0);
      },
      asio::detached);
  ioc.run();
  return 0;
}

// ---- the clients ----------------------------------------------------------------------------

struct run_state {
  std::chrono::steady_clock::time_point go{}, window_end = std::chrono::steady_clock::time_point::max();
  std::vector<char> scratch = std::vector<char>(256 * 1024);  // shared read buffer (one thread)
  std::vector<std::uint32_t> latency_us;                      // one per status received in the window
  std::uint64_t in_window = 0, total = 0, frames = 0;
};

struct raw_client {
  explicit raw_client(asio::io_context& ioc) : sock(ioc) {}
  asio::ip::tcp::socket sock;
  std::string carry;    // bytes of an incomplete frame
  std::string message;  // a fragmented message being assembled
  std::string protocol;
  std::uint64_t next_seq = 1, received = 0;
  bool ready = false;  // the snapshot's last part arrived
  bool closed = false, seq_gap = false, connected = false;
};

// Finds `"key":` after `from` in `s` and reads the unsigned number after it.
bool read_number(std::string_view s, std::string_view key, std::size_t from, std::size_t& at, std::uint64_t& out) {
  at = s.find(key, from);
  if (at == std::string_view::npos) return false;
  std::size_t i = at + key.size();
  out = 0;
  bool any = false;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    out = out * 10 + static_cast<std::uint64_t>(s[i] - '0');
    ++i;
    any = true;
  }
  at = i;
  return any;
}

// One whole text message (a single server message, or a batch of them).
void on_text(raw_client& c, run_state& rs, std::string_view text, std::uint64_t t_ns, bool in_window) {
  constexpr std::string_view start = R"({"type":")";
  std::size_t pos = 0;
  for (;;) {
    pos = text.find(start, pos);
    if (pos == std::string_view::npos) return;
    pos += start.size();
    const auto type_end = text.find('"', pos);
    if (type_end == std::string_view::npos) return;
    const auto type = text.substr(pos, type_end - pos);
    pos = type_end;
    if (type == "batch") continue;  // the envelope: its messages follow
    std::size_t at = 0;
    std::uint64_t seq = 0;
    if (!read_number(text, R"("seq":)", pos, at, seq)) return;
    if (seq != c.next_seq) c.seq_gap = true;
    c.next_seq = seq + 1;
    pos = at;
    if (type == "snapshot") {
      if (text.find(R"("last":true)", pos) != std::string_view::npos) c.ready = true;
      continue;
    }
    if (type != "status" || !c.ready) continue;
    ++c.received;
    ++rs.total;
    std::uint64_t stamp = 0;
    if (in_window) {
      ++rs.in_window;
      if (read_number(text, R"("totallag":)", pos, at, stamp) && stamp <= t_ns)
        rs.latency_us.push_back(static_cast<std::uint32_t>(std::min<std::uint64_t>((t_ns - stamp) / 1000, ~0u)));
    }
  }
}

// Parses complete frames at the front of `data`; returns the bytes consumed.
std::size_t parse_frames(raw_client& c, run_state& rs, const char* data, std::size_t size) {
  const std::uint64_t t_ns = now_ns();
  const bool in_window = std::chrono::steady_clock::now() <= rs.window_end;
  std::size_t off = 0;
  for (;;) {
    if (size - off < 2) return off;
    const auto b0 = static_cast<unsigned char>(data[off]);
    const auto b1 = static_cast<unsigned char>(data[off + 1]);
    std::size_t head = 2;
    std::uint64_t len = b1 & 0x7f;
    if (len == 126) {
      if (size - off < 4) return off;
      len = (static_cast<std::uint64_t>(static_cast<unsigned char>(data[off + 2])) << 8) |
            static_cast<unsigned char>(data[off + 3]);
      head = 4;
    } else if (len == 127) {
      if (size - off < 10) return off;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<unsigned char>(data[off + 2 + static_cast<std::size_t>(i)]);
      head = 10;
    }
    if (size - off < head + len) return off;
    const std::string_view payload(data + off + head, static_cast<std::size_t>(len));
    off += head + static_cast<std::size_t>(len);
    const bool fin = (b0 & 0x80) != 0;
    const unsigned opcode = b0 & 0x0f;
    if (opcode == 0x8) {
      c.closed = true;
      return off;
    }
    if (opcode != 0x1 && opcode != 0x0) continue;  // ping/pong: none expected (idle timeout 600 s)
    ++rs.frames;
    if (opcode == 0x1 && fin) {
      on_text(c, rs, payload, t_ns, in_window);
    } else {
      c.message.append(payload);
      if (fin) {
        on_text(c, rs, c.message, t_ns, in_window);
        c.message.clear();
        c.message.shrink_to_fit();
      }
    }
  }
}

// A masked client text frame (zero masking key: the payload is sent as is).
std::string client_frame(std::string_view text) {
  std::string f;
  f += static_cast<char>(0x81);
  f += static_cast<char>(0x80 | text.size());  // < 126
  f.append(4, '\0');
  f += text;
  return f;
}

warren::task<void> client_loop(raw_client& c, run_state& rs, unsigned short port, bool batch) {
  auto [ec] = co_await c.sock.async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                                            warren::use_nothrow);
  if (ec) {
    c.closed = true;
    co_return;
  }
  const std::string req = std::string("GET /v3/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n") +
                          "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
                          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: " +
                          (batch ? "warren.v2, warren.v1" : "warren.v1") + "\r\n\r\n";
  if (auto [wec, wn] = co_await asio::async_write(c.sock, asio::buffer(req), warren::use_nothrow); wec) {
    c.closed = true;
    co_return;
  }
  std::string head;
  auto [hec, hn] = co_await asio::async_read_until(c.sock, asio::dynamic_buffer(head), "\r\n\r\n", warren::use_nothrow);
  if (hec || head.compare(0, 12, "HTTP/1.1 101") != 0) {
    c.closed = true;
    co_return;
  }
  if (auto p = head.find("Sec-WebSocket-Protocol: "); p != std::string::npos && p < hn)
    c.protocol = head.substr(p + 24, head.find("\r\n", p) - p - 24);
  c.carry = head.substr(hn);  // frames that came with the answer
  const auto sub = client_frame(R"({"type":"subscribe","detail":"summary"})");
  if (auto [sec, sn] = co_await asio::async_write(c.sock, asio::buffer(sub), warren::use_nothrow); sec) {
    c.closed = true;
    co_return;
  }
  c.connected = true;
  c.sock.non_blocking(true);
  if (!c.carry.empty()) c.carry.erase(0, parse_frames(c, rs, c.carry.data(), c.carry.size()));
  while (!c.closed) {
    auto [wec] = co_await c.sock.async_wait(asio::ip::tcp::socket::wait_read, warren::use_nothrow);
    if (wec) break;
    for (;;) {
      boost::system::error_code rec;
      const std::size_t n = c.sock.read_some(asio::buffer(rs.scratch), rec);
      if (rec == asio::error::would_block) break;
      if (rec || n == 0) {
        c.closed = true;
        break;
      }
      if (c.carry.empty()) {
        const auto used = parse_frames(c, rs, rs.scratch.data(), n);
        c.carry.assign(rs.scratch.data() + used, n - used);
      } else {
        c.carry.append(rs.scratch.data(), n);
        c.carry.erase(0, parse_frames(c, rs, c.carry.data(), c.carry.size()));
      }
      if (c.carry.empty()) c.carry.shrink_to_fit();
      if (c.closed) break;
    }
  }
  c.closed = true;
}

struct run_result {
  double delivered_per_s = 0;
  int dropped = 0;
};

int run_clients(const params& p, unsigned short port, int to_server, pid_t server) {
  asio::io_context ioc(1);
  run_state rs;
  rs.latency_us.reserve(1 << 22);
  std::vector<std::unique_ptr<raw_client>> clients;
  auto t_connect = std::chrono::steady_clock::now();
  for (int i = 0; i < p.clients; ++i) {
    clients.push_back(std::make_unique<raw_client>(ioc));
    asio::co_spawn(ioc, client_loop(*clients.back(), rs, port, p.batch), asio::detached);
    if (i % 100 == 99) ioc.run_for(20ms);  // pace the connects (listen backlog)
  }
  auto all_ready = [&] {
    for (auto& c : clients)
      if (!c->ready && !c->closed) return false;
    return true;
  };
  while (!all_ready() && std::chrono::steady_clock::now() - t_connect < 180s) ioc.run_for(50ms);
  int ready = 0;
  for (auto& c : clients) ready += c->ready ? 1 : 0;
  const std::string protocol = clients.empty() ? "" : clients.front()->protocol;
  std::printf("clients connected=%d ready=%d protocol=%s connect_s=%.1f\n", ready, ready,
              protocol.empty() ? "(none)" : protocol.c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t_connect).count());
  std::fflush(stdout);
  rs.frames = 0;
  rs.total = 0;
  char go = 1;
  if (::write(to_server, &go, 1) != 1) return 1;
  rs.go = std::chrono::steady_clock::now();
  rs.window_end = rs.go + std::chrono::seconds(p.seconds);
  ioc.run_for(std::chrono::seconds(p.seconds + 2));
  std::uint64_t lo = ~0ull, hi = 0;
  int closed = 0, gaps = 0;
  for (auto& c : clients) {
    lo = std::min(lo, c->received);
    hi = std::max(hi, c->received);
    closed += c->closed ? 1 : 0;
    gaps += c->seq_gap ? 1 : 0;
  }
  int status = 0;
  ::waitpid(server, &status, 0);
  auto& l = rs.latency_us;
  std::sort(l.begin(), l.end());
  auto pct = [&](double q) {
    return l.empty() ? 0.0 : static_cast<double>(l[std::min(l.size() - 1, static_cast<std::size_t>(q * static_cast<double>(l.size())))]) / 1000.0;
  };
  std::printf(
      "ws_fanout protocol=%s clients=%d delivered_msgs_per_s=%.0f frames_per_s=%.0f msgs_per_frame=%.1f "
      "dropped_clients=%d seq_gaps=%d latency_p50_ms=%.1f latency_p99_ms=%.1f latency_max_ms=%.1f "
      "received_total=%llu per_client_min=%llu per_client_max=%llu\n",
      protocol.empty() ? "(none)" : protocol.c_str(), p.clients, static_cast<double>(rs.in_window) / p.seconds,
      static_cast<double>(rs.frames) / (p.seconds + 2),
      rs.frames ? static_cast<double>(rs.total) / static_cast<double>(rs.frames) : 0.0, closed, gaps, pct(0.50),
      pct(0.99), l.empty() ? 0.0 : static_cast<double>(l.back()) / 1000.0, static_cast<unsigned long long>(rs.total),
      static_cast<unsigned long long>(lo), static_cast<unsigned long long>(hi));
  std::fflush(stdout);
  return 0;
}

int run(const params& p) {
  int up[2], down[2];
  if (::pipe(up) != 0 || ::pipe(down) != 0) return 1;
  std::printf("ws_fanout clients=%d changes_per_s=%d seconds=%d groups=%d outbox=%d offer=%s\n", p.clients, p.rate,
              p.seconds, p.groups, p.outbox, p.batch ? "v2" : "v1");
  std::fflush(stdout);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(up[0]);
    ::close(down[1]);
    std::_Exit(run_server(p, up[1], down[0]));
  }
  ::close(up[1]);
  ::close(down[0]);
  unsigned short port = 0;
  if (::read(up[0], &port, sizeof port) != sizeof port) return 1;
  int rc = run_clients(p, port, down[1], pid);
  ::close(up[0]);
  ::close(down[1]);
  return rc;
}
}  // namespace

int main(int argc, char** argv) {
  raise_fd_limit();
  if (argc <= 1) {
    // The table: 1 000 clients × 1 000 changes/s and 10 000 clients × 100 changes/s (1 M messages/s
    // offered each), for clients of both protocol versions.
    int rc = 0;
    for (const auto& [clients, rate] : {std::pair{1000, 1000}, std::pair{10000, 100}})
      for (bool batch : {false, true}) {
        params p;
        p.clients = clients;
        p.rate = rate;
        p.batch = batch;
        rc |= run(p);
      }
    return rc;
  }
  params p;
  p.clients = std::atoi(argv[1]);
  if (argc > 2) p.rate = std::atoi(argv[2]);
  if (argc > 3) p.seconds = std::atoi(argv[3]);
  if (argc > 4) p.groups = std::atoi(argv[4]);
  if (argc > 5) p.outbox = std::atoi(argv[5]);
  if (argc > 6) p.batch = std::string_view(argv[6]) != "v1";
  return run(p);
}
