#include "service/http/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <list>

#include "service/core/log.hpp"
#include "service/http/upgrade_state.hpp"

namespace warren::http {

void upgrade_state_deleter::operator()(upgrade_state* s) const noexcept { delete s; }

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

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

struct server::impl {
  impl(asio::any_io_executor e, server_options o, request_handler h)
      : ex(e), options(std::move(o)), handler(std::move(h)), acceptor(e) {}

  asio::any_io_executor ex;
  server_options options;
  request_handler handler;
  tcp::acceptor acceptor;
  std::list<beast::tcp_stream*> sessions;  // registered by each session coroutine for stop()
  bool stopping = false;

  task<void> accept_loop() {
    while (!stopping) {
      auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
      if (ec) {
        if (ec == asio::error::operation_aborted || stopping) co_return;
        log_warn("http", "accept failed on ", options.name, ": ", ec.message());
        continue;
      }
      // Responses are written whole: no Nagle delay waiting for an ACK of the previous segment.
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      asio::co_spawn(ex, session(std::move(socket)), [](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& err) {
          log_error("http", "session failed: ", err.what());
        }
      });
    }
  }

  task<void> session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    auto reg = sessions.insert(sessions.end(), &stream);
    struct unregister {
      std::list<beast::tcp_stream*>& l;
      std::list<beast::tcp_stream*>::iterator it;
      bool armed = true;
      ~unregister() {
        if (armed) l.erase(it);
      }
    } guard{sessions, reg};

    beast::flat_buffer buffer;
    while (!stopping) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(options.body_limit);
      parser.header_limit(16 * 1024);
      stream.expires_after(options.timeout);
      auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, use_nothrow);
      if (ec) {
        if (ec == bhttp::error::body_limit || ec == bhttp::error::header_limit) {
          response too_big{413, "application/json",
                           R"({"error":true,"message":"request body too large","request":{}})", {}};
          co_await write(stream, too_big, 11, false);
        } else if (ec != bhttp::error::end_of_stream && ec != beast::error::timeout &&
                   ec != asio::error::operation_aborted && ec != asio::error::connection_reset &&
                   ec != bhttp::error::partial_message) {
          response bad{400, "application/json", R"({"error":true,"message":"malformed HTTP request","request":{}})", {}};
          co_await write(stream, bad, 11, false);
        }
        break;
      }
      auto& req = parser.get();
      if (options.upgrade && beast::websocket::is_upgrade(req)) {
        upgrade_request up;
        up.path = std::string(req.target().substr(0, req.target().find('?')));
        // The connection leaves this session: unregister before moving the stream.
        sessions.erase(reg);
        guard.armed = false;
        up.state.reset(new upgrade_state{std::move(stream), parser.release(), std::move(buffer)});
        if (options.upgrade(up)) co_return;
        // No WebSocket endpoint at this path: answer on the (moved) connection and close.
        response nf{404, "text/plain; charset=utf-8",
                    "{\"error\":true,\"message\":\"invalid request type\",\"result\":{}}\n", {}};
        co_await write(up.state->stream, nf, 11, false);
        co_return;
      }
      request r;
      r.method = std::string(req.method_string());
      r.target = std::string(req.target());
      r.path = r.target.substr(0, r.target.find('?'));
      r.body = std::move(req.body());
      if (auto it = req.find(bhttp::field::authorization); it != req.end()) r.authorization = std::string(it->value());
      response res;
      try {
        res = handler(r);
      } catch (const std::exception& e) {
        log_error("http", "handler failed for ", r.target, ": ", e.what());
        res = response{500, "application/json", R"({"error":true,"message":"internal error","request":{}})", {}};
      }
      bool keep = req.keep_alive() && !stopping;
      if (r.method == "HEAD") res.body.clear();
      if (!co_await write(stream, res, req.version(), keep)) break;
      if (!keep) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  task<bool> write(beast::tcp_stream& stream, const response& res, unsigned version, bool keep) {
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), version};
    out.set(bhttp::field::server, "warren/" WARREN_VERSION);
    out.set(bhttp::field::content_type, res.content_type);
    for (const auto& [k, v] : res.headers) out.set(k, v);
    out.body() = res.body;
    out.keep_alive(keep);
    out.prepare_payload();
    stream.expires_after(options.timeout);
    auto [ec, n] = co_await bhttp::async_write(stream, out, use_nothrow);
    co_return !ec;
  }
};

server::server(asio::any_io_executor ex, server_options options, request_handler handler)
    : impl_(std::make_unique<impl>(ex, std::move(options), std::move(handler))) {}
server::~server() = default;

result<void> server::listen(std::string& error_text) {
  std::string host;
  unsigned short port = 0;
  if (!parse_listen_address(impl_->options.address, host, port)) {
    error_text = "httpserver." + impl_->options.name + ".address: not host:port: " + impl_->options.address;
    return asio::error::invalid_argument;
  }
  boost::system::error_code ec;
  auto addr = host.empty() ? asio::ip::address(asio::ip::address_v6::any()) : asio::ip::make_address(host, ec);
  if (ec) {
    error_text = "httpserver." + impl_->options.name + ".address: bad host: " + host;
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
    error_text = "httpserver." + impl_->options.name + ": cannot listen on " + impl_->options.address + ": " +
                 ec.message();
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
  // Idle connections wait in a read: cancel it so their coroutines end now.
  for (auto* s : impl_->sessions) s->cancel();
}

}  // namespace warren::http
