#include "service/http/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <algorithm>
#include <list>
#include <optional>

#include "service/config/config.hpp"
#include "service/core/log.hpp"
#include "service/http/json_error.hpp"
#include "service/http/router.hpp"
#include "service/http/upgrade_state.hpp"
#include "service/metrics/metrics.hpp"

namespace warren::http {

void upgrade_state_deleter::operator()(upgrade_state* s) const noexcept { delete s; }

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

bool parse_listen_address(const std::string& address, std::string& host, unsigned short& port) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string p = address.substr(colon + 1);
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) return false;
  unsigned long v = std::stoul(p);
  if (v > 65535) return false;
  port = static_cast<unsigned short>(v);
  return true;
}

std::chrono::milliseconds next_accept_backoff(std::chrono::milliseconds previous) {
  using std::chrono::milliseconds;
  if (previous < milliseconds(100)) return milliseconds(100);
  return std::min(previous * 2, milliseconds(1000));
}

server_options options_for(const config& cfg, const httpserver_module& m, std::string hostname) {
  server_options o;
  o.name = m.name;
  o.address = m.address;
  o.timeout = m.timeout;
  o.header_timeout = m.header_timeout;
  o.idle_timeout = m.idle_timeout;
  o.max_connections = static_cast<std::size_t>(std::max(m.max_connections, 1));
  o.hostname = std::move(hostname);
  o.tokens = {cfg.warren.admin_token, cfg.warren.read_token, cfg.warren.metrics_token};
  if (auto it = cfg.tls.find(m.tls); !m.tls.empty() && it != cfg.tls.end()) {
    o.tls.certfile = it->second.certfile;
    o.tls.keyfile = it->second.keyfile;
    o.tls.cafile = it->second.cafile;
    o.tls.require_client_cert = m.require_client_cert;
  }
  return o;
}

namespace {

bool resource_shortage(const boost::system::error_code& ec) {
  return ec == asio::error::no_descriptors ||  // EMFILE
         ec == boost::system::errc::too_many_files_open_in_system ||  // ENFILE
         ec == asio::error::no_buffer_space || ec == asio::error::no_memory;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Errors that end a connection without an answer: the peer left or went quiet.
bool silent_end(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
         ec == asio::error::connection_reset || ec == asio::error::eof || ec == bhttp::error::partial_message ||
         ec == ssl::error::stream_truncated;
}

// Beast 1.81's header_limit let 10 000 empty-valued fields (40 KB) through a 16 KiB limit in a
// test; the parsed header is checked again: at most 1000 fields, 16 KiB of names and values.
constexpr std::size_t max_header_bytes = 16 * 1024;
constexpr std::size_t max_header_fields = 1000;
bool header_too_large(const bhttp::request<bhttp::string_body>& req) {
  std::size_t fields = 0, bytes = req.target().size() + req.method_string().size();
  for (const auto& f : req) {
    bytes += f.name_string().size() + f.value().size() + 4;
    if (++fields > max_header_fields || bytes > max_header_bytes) return true;
  }
  return false;
}

beast::tcp_stream& tcp_of(beast::tcp_stream& s) { return s; }
beast::tcp_stream& tcp_of(tls_stream& s) { return s.next_layer(); }
beast::tcp_stream& tcp_of(upgrade_stream& s) { return s.next_layer(); }

}  // namespace

struct server::impl {
  impl(asio::any_io_executor e, server_options o, request_handler h)
      : ex(e), options(std::move(o)), handler(std::move(h)), acceptor(e), backoff_timer(e) {}

  asio::any_io_executor ex;
  server_options options;
  request_handler handler;
  tcp::acceptor acceptor;
  asio::steady_timer backoff_timer;
  std::optional<ssl::context> tls;  // set by listen() for an HTTPS listener
  std::list<beast::tcp_stream*> sessions;  // registered by each session coroutine for stop()
  // Shared with the tickets of upgraded connections, which may outlive this listener.
  std::shared_ptr<server_stats> stats_ptr = std::make_shared<server_stats>();
  server_stats& stats = *stats_ptr;
  bool stopping = false;

  std::string setup_tls() {
    const auto& t = options.tls;
    tls.emplace(ssl::context::tls_server);
    auto& c = *tls;
    // TLS 1.2 and 1.3 only; no compression, no renegotiation.
    SSL_CTX_set_min_proto_version(c.native_handle(), TLS1_2_VERSION);
    c.set_options(ssl::context::default_workarounds | ssl::context::no_compression | ssl::context::single_dh_use);
    SSL_CTX_set_options(c.native_handle(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    boost::system::error_code ec;
    c.use_certificate_chain_file(t.certfile, ec);
    if (ec) return "cannot load certificate " + t.certfile + ": " + ec.message();
    c.use_private_key_file(t.keyfile, ssl::context::pem, ec);
    if (ec) return "cannot load private key " + t.keyfile + ": " + ec.message();
    if (t.require_client_cert) {
      c.load_verify_file(t.cafile, ec);
      if (ec) return "cannot load CA bundle " + t.cafile + ": " + ec.message();
      c.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    } else {
      c.set_verify_mode(ssl::verify_none);
    }
    return {};
  }

  void log_exception(std::exception_ptr e) const {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& err) {
      log_error("http", "session failed on ", options.name, ": ", err.what());
    }
  }

  task<void> accept_loop() {
    std::chrono::milliseconds backoff{0};
    while (!stopping) {
      auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
      if (ec) {
        if (ec == asio::error::operation_aborted || stopping) co_return;
        ++stats.accept_errors;
        if (!resource_shortage(ec)) {
          log_warn("http", "accept failed on ", options.name, ": ", ec.message());
          continue;
        }
        // The pending connection stays in the backlog; retrying at once would fail the same way
        // at 100 % CPU. Wait, longer each time, until a descriptor is free again.
        const auto previous = backoff;
        backoff = next_accept_backoff(backoff);
        if (backoff != previous)
          log_warn("http", "accept failed on ", options.name, ": ", ec.message(), "; retrying in ", backoff.count(),
                   " ms");
        backoff_timer.expires_after(backoff);
        co_await backoff_timer.async_wait(use_nothrow);
        continue;
      }
      backoff = std::chrono::milliseconds(0);
      if (stats.connections >= options.max_connections) {
        ++stats.connections_refused;
        if (stats.connections_refused % 1000 == 1)
          log_warn("http", options.name, ": ", stats.connections, " connections open (max-connections); refused ",
                   stats.connections_refused, " so far");
        boost::system::error_code ignored;
        socket.close(ignored);
        continue;
      }
      // Responses are written whole: no Nagle delay waiting for an ACK of the previous segment.
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto done = [this](std::exception_ptr e) { log_exception(e); };
      if (tls) asio::co_spawn(ex, session(tls_stream(beast::tcp_stream(std::move(socket)), *tls)), done);
      else asio::co_spawn(ex, session(beast::tcp_stream(std::move(socket))), done);
    }
  }

  // A transport error answer (before or without routing), then the connection closes.
  response transport_error(unsigned status, std::string_view message, std::string_view target) const {
    auto path = target.substr(0, target.find('?'));
    return json_error(status, message, percent_decode(path).value_or(std::string(path)), options.hostname);
  }

  // One connection: Stream is beast::tcp_stream or tls_stream, so the plain path is Beast's
  // plain path with no TLS branch in it.
  template <class Stream>
  task<void> session(Stream stream) {
    beast::tcp_stream& conn = tcp_of(stream);
    ++stats.connections;
    auto reg = sessions.insert(sessions.end(), &conn);
    struct unregister {
      impl& s;
      std::list<beast::tcp_stream*>::iterator it;
      bool armed = true;
      bool counted = true;
      void release() {
        if (armed) s.sessions.erase(it);
        armed = false;
      }
      // An upgraded connection stays counted against max-connections until its WebSocket
      // session drops the ticket.
      std::shared_ptr<void> hand_over() {
        release();
        counted = false;
        return std::shared_ptr<void>(nullptr, [stats = s.stats_ptr](void*) { --stats->connections; });
      }
      ~unregister() {
        release();
        if (counted) --s.stats.connections;
      }
    } guard{*this, reg};

    // The first request's header (and the TLS handshake) must arrive within header_timeout of accept.
    conn.expires_after(options.header_timeout);
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, use_nothrow);
      if (ec) {
        log_debug("http", options.name, ": TLS handshake failed: ", ec.message());
        co_return;
      }
    }

    beast::flat_buffer buffer;
    bool first = true;
    while (!stopping) {
      if (!first) {
        // Keep-alive: wait for the next request's first byte, then give its header header_timeout.
        if (buffer.size() == 0) {
          conn.expires_after(options.idle_timeout);
          auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), use_nothrow);
          if (ec) break;
          buffer.commit(n);
        }
        conn.expires_after(options.header_timeout);
      }
      first = false;
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(options.body_limit);
      parser.header_limit(max_header_bytes);
      {
        auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, use_nothrow);
        if (ec) {
          co_await answer_read_error(stream, ec, parser);
          break;
        }
      }
      auto& req = parser.get();
      if (header_too_large(req)) {
        co_await write(stream, transport_error(431, "request header fields too large", req.target()), 11, false);
        break;
      }
      if (!parser.is_done()) {
        // RFC 9110 §10.1.1: a client that sent `Expect: 100-continue` waits for this before the body.
        if (req.version() >= 11 && iequals(req[bhttp::field::expect], "100-continue")) {
          // A request that will be refused anyway is refused now, before the client sends its body.
          const auto target = std::string_view(req.target());
          const auto needed = access_for(req.method_string(), target.substr(0, target.find('?')));
          if (!authorized(options.tokens, needed, req[bhttp::field::authorization])) {
            auto res = transport_error(401, unauthorized_message(needed), target);
            res.headers.emplace_back("WWW-Authenticate", std::string(www_authenticate));
            co_await write(stream, std::move(res), req.version(), false);
            break;
          }
          bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, req.version()};
          conn.expires_after(options.timeout);
          auto [ec, n] = co_await bhttp::async_write(stream, cont, use_nothrow);
          if (ec) break;
        }
        conn.expires_after(options.timeout);
        auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, use_nothrow);
        if (ec) {
          co_await answer_read_error(stream, ec, parser);
          break;
        }
      }
      if (options.upgrade && beast::websocket::is_upgrade(req)) {
        request r;
        r.method = std::string(req.method_string());
        r.target = std::string(req.target());
        r.path = r.target.substr(0, r.target.find('?'));
        if (auto it = req.find(bhttp::field::authorization); it != req.end()) r.authorization = std::string(it->value());
        // Browsers cannot set headers on a WebSocket: the token may come as a subprotocol (auth.hpp).
        if (r.authorization.empty())
          if (auto t = subprotocol_bearer_token(req[bhttp::field::sec_websocket_protocol]); !t.empty())
            r.authorization = "Bearer " + t;
        if (!authorized(options.tokens, access::read, r.authorization)) {
          auto res = transport_error(401, unauthorized_message(access::read), r.target);
          res.headers.emplace_back("WWW-Authenticate", std::string(www_authenticate));
          co_await write(stream, std::move(res), req.version(), false);
          break;
        }
        upgrade_request up;
        up.path = r.path;
        // The connection leaves this session: unregister before moving the stream.
        auto ticket = guard.hand_over();
        up.state.reset(new upgrade_state{upgrade_stream(std::move(stream)), parser.release(), std::move(buffer),
                                         options.hostname, std::move(ticket)});
        if (options.upgrade(up)) co_return;
        // No WebSocket endpoint at this path: answer on the (moved) connection and close.
        response nf{404, "text/plain; charset=utf-8",
                    "{\"error\":true,\"message\":\"invalid request type\",\"result\":{}}\n", {}};
        co_await write(up.state->stream, std::move(nf), 11, false);
        co_return;
      }
      request r;
      r.method = std::string(req.method_string());
      r.target = std::string(req.target());
      r.path = r.target.substr(0, r.target.find('?'));
      r.body = std::move(req.body());
      if (auto it = req.find(bhttp::field::authorization); it != req.end()) r.authorization = std::string(it->value());
      if (auto it = req.find(bhttp::field::if_none_match); it != req.end()) r.if_none_match = std::string(it->value());
      r.forwarded = req.find(forwarded_header) != req.end();  // issue 14
      response res;
      try {
        res = handler(r);
      } catch (const std::exception& e) {
        log_error("http", "handler failed for ", r.path, ": ", e.what());
        res = transport_error(500, "internal error", r.target);
      }
      if (res.deferred) {  // issue 14: forwarded to another instance, bounded by its own timeout
        auto later = std::move(res.deferred);
        try {
          res = co_await later();
        } catch (const std::exception& e) {
          log_error("http", "forwarding failed for ", r.path, ": ", e.what());
          res = transport_error(500, "internal error", r.target);
        }
      }
      bool keep = req.keep_alive() && !stopping;
      if (r.method == "HEAD") {
        res.body.clear();
        res.stream.reset();  // HEAD answers as before: the header and an empty body
      }
      if (!co_await write(stream, std::move(res), req.version(), keep)) break;
      if (!keep) break;
    }
    co_await close(stream);
  }

  template <class Stream>
  task<void> answer_read_error(Stream& stream, const beast::error_code& ec,
                               bhttp::request_parser<bhttp::string_body>& parser) {
    if (silent_end(ec)) co_return;
    const std::string target(parser.get().target());
    response res;
    if (ec == bhttp::error::header_limit)
      res = transport_error(431, "request header fields too large", target);
    else if (ec == bhttp::error::body_limit)
      res = transport_error(413, "request body too large", target);
    else
      res = transport_error(400, "malformed HTTP request", target);
    co_await write(stream, std::move(res), 11, false);
  }

  template <class Stream>
  task<void> close(Stream& stream) {
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      // close_notify, within a short deadline: the peer may never answer it.
      tcp_of(stream).expires_after(std::min<std::chrono::seconds>(options.header_timeout, std::chrono::seconds(5)));
      co_await stream.async_shutdown(use_nothrow);
    }
    beast::error_code ignored;
    tcp_of(stream).socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  // The response is taken by value: its body is moved into Beast's message, never copied.
  template <class Stream>
  task<bool> write(Stream& stream, response res, unsigned version, bool keep) {
    if (res.stream) co_return co_await write_streamed(stream, std::move(res), version, keep);
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), version};
    out.set(bhttp::field::server, "warren/" WARREN_VERSION);
    out.set(bhttp::field::content_type, std::move(res.content_type));
    for (auto& [k, v] : res.headers) out.set(k, std::move(v));
    out.body() = std::move(res.body);
    out.keep_alive(keep);
    out.prepare_payload();
    tcp_of(stream).expires_after(options.timeout);
    auto [ec, n] = co_await bhttp::async_write(stream, out, use_nothrow);
    co_return !ec;
  }

  // A streamed body (types.hpp body_source): the header, then the source's pieces as they come,
  // each batch one gather write (one HTTP/1.1 chunk). Between batches the coroutine waits for the
  // socket, and a source that did work without output is resumed through post(), so other sessions
  // run between the source's bounded steps. HTTP/1.0 has no chunked encoding: the body ends with
  // the connection there.
  template <class Stream>
  task<bool> write_streamed(Stream& stream, response res, unsigned version, bool keep) {
    const bool chunked = version >= 11;
    if (!chunked) keep = false;
    bhttp::response<bhttp::empty_body> out{static_cast<bhttp::status>(res.status), version};
    out.set(bhttp::field::server, "warren/" WARREN_VERSION);
    out.set(bhttp::field::content_type, std::move(res.content_type));
    for (auto& [k, v] : res.headers) out.set(k, std::move(v));
    out.keep_alive(keep);
    if (chunked) out.chunked(true);
    bhttp::response_serializer<bhttp::empty_body> sr{out};
    tcp_of(stream).expires_after(options.timeout);
    {
      auto [ec, n] = co_await bhttp::async_write_header(stream, sr, use_nothrow);
      if (ec) co_return false;
    }
    std::vector<std::string_view> pieces;
    std::vector<asio::const_buffer> buffers;
    for (bool more = true; more;) {
      more = res.stream->next(pieces);
      buffers.clear();
      for (auto p : pieces)
        if (!p.empty()) buffers.emplace_back(p.data(), p.size());
      if (buffers.empty()) {
        if (more) co_await asio::post(ex, asio::use_awaitable);
        continue;
      }
      tcp_of(stream).expires_after(options.timeout);
      auto [ec, n] = chunked ? co_await asio::async_write(stream, bhttp::make_chunk(buffers), use_nothrow)
                             : co_await asio::async_write(stream, buffers, use_nothrow);
      if (ec) co_return false;
    }
    if (chunked) {
      tcp_of(stream).expires_after(options.timeout);
      auto [ec, n] = co_await asio::async_write(stream, bhttp::make_chunk_last(), use_nothrow);
      if (ec) co_return false;
    }
    co_return keep;
  }
};

server::server(asio::any_io_executor ex, server_options options, request_handler handler)
    : impl_(std::make_unique<impl>(ex, std::move(options), std::move(handler))) {}
server::~server() = default;

result<void> server::listen(std::string& error_text) {
  std::string host;
  unsigned short port = 0;
  const std::string where = "httpserver." + impl_->options.name;
  if (!parse_listen_address(impl_->options.address, host, port)) {
    error_text = where + ".address: not host:port: " + impl_->options.address;
    return asio::error::invalid_argument;
  }
  if (!impl_->options.tls.certfile.empty()) {
    if (auto problem = impl_->setup_tls(); !problem.empty()) {
      error_text = where + ".tls: " + problem;
      return asio::error::invalid_argument;
    }
  }
  boost::system::error_code ec;
  auto addr = host.empty() ? asio::ip::address(asio::ip::address_v6::any()) : asio::ip::make_address(host, ec);
  if (ec) {
    error_text = where + ".address: bad host: " + host;
    return ec;
  }
  tcp::endpoint ep(addr, port);
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec && host.empty()) a.set_option(asio::ip::v6_only(false), ec);
  if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error_text = where + ": cannot listen on " + impl_->options.address + ": " + ec.message();
    return ec;
  }
  return {};
}

unsigned short server::port() const {
  boost::system::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void server::start() {
  asio::co_spawn(impl_->ex, impl_->accept_loop(), [](std::exception_ptr e) {
    if (e) log_error("http", "accept loop ended with an exception");
  });
}

void server::stop() {
  impl_->stopping = true;
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
  impl_->backoff_timer.cancel();
  // Idle connections wait in a read: cancel it so their coroutines end now.
  for (auto* s : impl_->sessions) s->cancel();
}

const std::string& server::name() const { return impl_->options.name; }
const server_stats& server::stats() const { return impl_->stats; }

std::string render_server_metrics(const std::vector<std::unique_ptr<server>>& servers) {
  std::string out;
  auto family = [&](const char* name, const char* help, const char* type, auto value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    for (const auto& s : servers)
      out += std::string(name) + "{listener=\"" + escape_label(s->name()) + "\"} " + std::to_string(value(*s)) + "\n";
  };
  family("warren_http_connections_refused_total", "Connections closed at accept because max-connections was reached",
         "counter", [](const server& s) { return s.stats().connections_refused; });
  family("warren_http_accept_errors_total", "Failed accepts (EMFILE, ENFILE, ...), each followed by a back-off",
         "counter", [](const server& s) { return s.stats().accept_errors; });
  family("warren_http_connections", "Open connections, upgraded WebSocket streams included", "gauge",
         [](const server& s) { return s.stats().connections; });
  return out;
}

}  // namespace warren::http
