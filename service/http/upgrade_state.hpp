#pragma once
// The Beast side of upgrade.hpp. Include from .cpp files only.
#include <boost/asio/async_result.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <memory>
#include <string>
#include <utility>
#include <variant>

#include "service/http/upgrade.hpp"

namespace warren::http {

/// The connection of an upgraded request: plain TCP or TLS (an HTTPS listener), one type so the
/// WebSocket session is written once (`websocket::stream<upgrade_stream>`). Each operation is one
/// branch on the kind; HTTP sessions before the upgrade use the concrete stream types instead.
/// next_layer() is the TCP stream (timeouts, socket options, close) whichever the kind.
class upgrade_stream {
 public:
  using plain_stream = boost::beast::tcp_stream;
  using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
  using executor_type = plain_stream::executor_type;

  explicit upgrade_stream(plain_stream s) : s_(std::in_place_index<0>, std::move(s)) {}
  explicit upgrade_stream(tls_stream s) : s_(std::in_place_index<1>, std::move(s)) {}

  bool is_tls() const { return s_.index() == 1; }
  executor_type get_executor() { return next_layer().get_executor(); }
  plain_stream& next_layer() { return s_.index() == 0 ? std::get<0>(s_) : std::get<1>(s_).next_layer(); }
  const plain_stream& next_layer() const {
    return s_.index() == 0 ? std::get<0>(s_) : std::get<1>(s_).next_layer();
  }
  // tcp_stream's conveniences, for HTTP answers written before the WebSocket handshake.
  template <class Duration>
  void expires_after(Duration d) {
    next_layer().expires_after(d);
  }
  boost::asio::ip::tcp::socket& socket() { return next_layer().socket(); }

  template <class Buffers, class Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
        [this](auto handler, const Buffers& b) {
          std::visit([&](auto& s) { s.async_read_some(b, std::move(handler)); }, s_);
        },
        token, buffers);
  }
  template <class Buffers, class Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
        [this](auto handler, const Buffers& b) {
          std::visit([&](auto& s) { s.async_write_some(b, std::move(handler)); }, s_);
        },
        token, buffers);
  }

  /// WebSocket teardown (found by argument-dependent lookup from websocket::stream): TLS sends
  /// close_notify, then each kind closes its TCP connection as Beast does for it.
  template <class Handler>
  friend void async_teardown(boost::beast::role_type role, upgrade_stream& s, Handler&& handler) {
    using boost::beast::websocket::async_teardown;
    if (s.s_.index() == 0) async_teardown(role, std::get<0>(s.s_), std::forward<Handler>(handler));
    else async_teardown(role, std::get<1>(s.s_), std::forward<Handler>(handler));
  }

 private:
  std::variant<plain_stream, tls_stream> s_;
};

struct upgrade_state {
  upgrade_stream stream;
  boost::beast::http::request<boost::beast::http::string_body> request;
  boost::beast::flat_buffer buffer;  ///< bytes read past the request (usually empty)
  std::string host;                  ///< `request.host` in error bodies (the listener's hostname)
  /// Keeps the connection counted against the listener's max-connections while this state lives
  /// (the WebSocket session keeps it to its end).
  std::shared_ptr<void> ticket;
};

}  // namespace warren::http
