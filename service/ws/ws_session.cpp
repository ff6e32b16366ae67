#include "service/ws/ws_session.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <span>
#include <vector>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "service/core/log.hpp"
#include "service/http/json_error.hpp"
#include "service/http/router.hpp"
#include "service/http/upgrade_state.hpp"
#include "service/ws/ws_hub.hpp"

namespace warren::ws {
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
using ws_stream = websocket::stream<http::upgrade_stream>;  // plain or TLS (http/upgrade_state.hpp)
using state_ptr = std::unique_ptr<http::upgrade_state, http::upgrade_state_deleter>;

namespace {

void log_exception(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& err) {
    log_error("ws", "session failed: ", err.what());
  }
}

// Answers a request that cannot become a stream with a plain HTTP error and ends the connection.
task<void> refuse(http::upgrade_state& st, unsigned status, std::string message) {
  const std::string_view target(st.request.target());
  const auto path = target.substr(0, target.find('?'));
  auto error = http::json_error(status, message, http::percent_decode(path).value_or(std::string(path)), st.host);
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), st.request.version()};
  res.set(bhttp::field::server, "warren/" WARREN_VERSION);
  res.set(bhttp::field::content_type, error.content_type);
  res.body() = std::move(error.body);
  res.keep_alive(false);
  res.prepare_payload();
  st.stream.expires_after(std::chrono::seconds(10));
  co_await bhttp::async_write(st.stream, res, use_nothrow);
  beast::error_code ignored;
  st.stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

// The per-connection pieces both coroutines use; lives in session()'s frame.
struct connection {
  connection(ws_hub& h, ws_stream s)
      : hub(h), ws(std::move(s)), wake(hub.executor()), grace(hub.executor()), writer_exit(hub.executor()) {}
  ws_hub& hub;
  ws_stream ws;
  asio::steady_timer wake;         // the writer sleeps on it while the outbox is empty
  asio::steady_timer grace;        // a closing client's deadline to get its close frame out
  asio::steady_timer writer_exit;  // session() sleeps on it until the writer has finished
  bool grace_armed = false;
  bool dead = false;  // the reader has ended: the connection is gone or closed
  bool writer_done = false;
  bool writer_waiting = false;  // the writer sleeps on `wake`

  void cut() {
    beast::error_code ignored;
    beast::get_lowest_layer(ws).socket().close(ignored);
  }

  // ws_client::wake: also starts the close deadline once the hub marked the client closing.
  void on_wake(const ws_client& c) {
    if (writer_waiting) wake.cancel();  // a busy writer drains the outbox before it sleeps again
    if (c.closing && !grace_armed) {
      grace_armed = true;
      grace.expires_after(hub.options().close_grace);
      grace.async_wait([this](const boost::system::error_code& ec) {
        // The writer is stuck behind a peer that does not read: end the connection.
        if (!ec && !dead) cut();
      });
    }
  }

  // TCP_CORK while a warren.v1 drain writes its frames one by one: the kernel sends full segments
  // once the drain is done instead of one segment (and, on loopback, one receive) per message.
  void cork(bool on) {
    int v = on ? 1 : 0;
    ::setsockopt(beast::get_lowest_layer(ws).socket().native_handle(), IPPROTO_TCP, TCP_CORK, &v, sizeof v);
  }

  task<void> writer(ws_client& c) {
    // One drain = everything queued (up to the bounds below), taken off the outbox before writing:
    // a newer change of a group then queues a new entry instead of coalescing into one already on
    // the wire. warren.v2: one frame (a batch when two or more). warren.v1: one frame per message,
    // corked. The bodies are the shared payloads, viewed (gathered into the write) when a frame has
    // few of them, copied into one buffer when it has many.
    constexpr std::size_t max_messages = 512;
    constexpr std::size_t max_bytes = 1024 * 1024;
    constexpr std::size_t gather_pieces_max = 16;  // more pieces than this: copied into `frame`
    std::vector<outbox_entry> taken;
    std::vector<message_ref> refs;
    std::string heads;
    std::vector<std::string_view> pieces;
    std::vector<asio::const_buffer> buffers;
    std::string frame;  // a many-piece frame, contiguous
    auto write_frame = [&](std::span<const message_ref> ms) -> task<bool> {
      frame_pieces(ms, c.seq + 1, c.batch, heads, pieces);
      ws.text(true);
      std::size_t total = 0;
      for (auto p : pieces) total += p.size();
      // A batch of many messages is copied into one buffer: gathering hundreds of pieces through
      // Beast's and Asio's buffer views (64 per writev) cost more than the copy. Its bytes were
      // counted against this client's outbox bound while queued, so the copy stays within it.
      if (pieces.size() > gather_pieces_max) {
        frame.clear();
        frame.reserve(total);
        for (auto p : pieces) frame.append(p);
        buffers.assign(1, asio::const_buffer(frame.data(), frame.size()));
      } else {
        buffers.clear();
        for (auto p : pieces) buffers.emplace_back(p.data(), p.size());
      }
      auto [ec, n] = co_await ws.async_write(buffers, use_nothrow);
      if (ec) co_return false;
      c.seq += ms.size();
      hub.note_sent(ms.size());
      co_return true;
    };
    while (!dead) {
      if (c.outbox.empty()) {
        if (c.closing) break;
        wake.expires_at(asio::steady_timer::time_point::max());
        writer_waiting = true;
        co_await wake.async_wait(use_nothrow);
        writer_waiting = false;
        continue;
      }
      taken.clear();
      c.outbox.take(taken, c.batch ? max_messages : 64, max_bytes);
      refs.clear();
      for (const auto& e : taken) refs.push_back({e.type, e.text_body()});
      bool ok = true;
      if (c.batch) {
        ok = co_await write_frame(refs);
      } else {
        const bool corked = refs.size() > 1;
        if (corked) cork(true);
        for (std::size_t i = 0; i < refs.size() && ok && !dead; ++i)
          ok = co_await write_frame(std::span<const message_ref>(&refs[i], 1));
        if (corked && ok) cork(false);
      }
      if (!ok) {
        cut();
        co_return;
      }
      // Drop the payload references now, and, when nothing more is queued, the scratch: 10 000
      // idle clients must not each keep a drain's worth (a busy writer keeps it for the next).
      taken.clear();
      refs.clear();
      if (c.outbox.empty()) {
        taken = {};
        refs = {};
        pieces = {};
        buffers = {};
        heads = {};
        frame = {};
      }
    }
    if (c.closing && !dead) {
      auto [ec] = co_await ws.async_close(websocket::close_reason(static_cast<websocket::close_code>(c.close_code), c.close_reason), use_nothrow);
      if (ec) cut();
    }
  }

  task<void> reader(ws_client& c) {
    const std::size_t soft_max = hub.options().limits.max_frame_bytes;
    std::array<char, 4 * 1024> chunk;  // in every session frame: kept small
    std::string message;
    for (;;) {
      message.clear();
      std::size_t total = 0;
      bool too_large = false;
      do {
        auto [ec, n] = co_await ws.async_read_some(asio::buffer(chunk), use_nothrow);
        if (ec) co_return;  // closed by the peer, timed out, cut, or a protocol violation (Beast closed it)
        total += n;
        if (too_large) continue;
        if (message.size() + n > soft_max) {
          too_large = true;  // keep reading to the end of the message, keeping nothing
          message.clear();
          message.shrink_to_fit();
        } else {
          message.append(chunk.data(), n);
        }
      } while (!ws.is_message_done());
      if (too_large)
        hub.on_rejected(c, error_code::frame_too_large,
                        "message of " + std::to_string(total) + " bytes exceeds the limit of " +
                            std::to_string(soft_max) + " bytes; it was discarded");
      else if (!ws.got_text())
        hub.on_rejected(c, error_code::bad_json, "binary messages are not accepted; send JSON text");
      else
        hub.on_text(c, message);
    }
  }
};

task<void> session(ws_hub& hub, state_ptr st) {
  auto chosen = choose_subprotocol(st->request[bhttp::field::sec_websocket_protocol]);
  if (!chosen) {
    co_await refuse(*st, 400, "unsupported WebSocket subprotocol; this server speaks " + std::string(subprotocol));
    co_return;
  }
  if (st->buffer.size() != 0) {
    // RFC 6455 §4.1: the client sends nothing more before the server's handshake answer.
    co_await refuse(*st, 400, "data sent before the WebSocket handshake completed");
    co_return;
  }
  connection conn(hub, ws_stream(std::move(st->stream)));
  auto& ws = conn.ws;
  beast::get_lowest_layer(ws).expires_never();  // the websocket timeouts below take over
  websocket::stream_base::timeout to{};
  to.handshake_timeout = hub.options().handshake_timeout;
  to.idle_timeout = hub.options().idle_timeout;
  to.keep_alive_pings = true;
  ws.set_option(to);
  ws.set_option(websocket::stream_base::decorator([proto = std::string(*chosen)](websocket::response_type& res) {
    res.set(bhttp::field::server, "warren/" WARREN_VERSION);
    if (!proto.empty()) res.set(bhttp::field::sec_websocket_protocol, proto);
  }));
  ws.read_message_max(hub.options().hard_message_limit);
  // A message is one frame however large (Beast's default splits at 4 KiB: one write per piece).
  ws.auto_fragment(false);
  beast::error_code ignored;
  beast::get_lowest_layer(ws).socket().set_option(asio::ip::tcp::no_delay(true), ignored);
  {
    auto [ec] = co_await ws.async_accept(st->request, use_nothrow);
    if (ec || hub.stopping()) co_return;
  }
  st.reset();

  ws_client client(hub, [&conn, &client] { conn.on_wake(client); }, *chosen == subprotocol_v2);
  asio::co_spawn(hub.executor(), conn.writer(client), [&conn](std::exception_ptr e) {
    log_exception(e);
    conn.writer_done = true;
    conn.writer_exit.cancel();
  });
  co_await conn.reader(client);

  conn.dead = true;
  conn.cut();
  conn.wake.cancel();
  while (!conn.writer_done) {
    conn.writer_exit.expires_at(asio::steady_timer::time_point::max());
    co_await conn.writer_exit.async_wait(use_nothrow);
  }
  conn.grace.cancel();
  // The grace handler, if queued, runs before this continuation (one thread, FIFO): after it no
  // handler refers to this frame.
  co_await asio::post(hub.executor(), asio::use_awaitable);
}

}  // namespace

void start_session(ws_hub& hub, state_ptr state) {
  asio::co_spawn(hub.executor(), session(hub, std::move(state)), log_exception);
}

}  // namespace warren::ws
