#include "tests/support/ws_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <thread>
#include <stdexcept>

namespace warren::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

struct ws_test_client::impl {
  impl(asio::io_context* shared, ws_client_options o)
      : own(shared ? nullptr : std::make_unique<asio::io_context>()),
        ioc(shared ? *shared : *own),
        options(std::move(o)),
        ws(ioc) {}

  std::unique_ptr<asio::io_context> own;
  asio::io_context& ioc;
  ws_client_options options;
  websocket::stream<beast::tcp_stream> ws;
  beast::flat_buffer buffer;
  std::deque<std::string> inbox;
  std::string protocol;
  bool reading = false;
  bool ended = false;
  beast::error_code end_error;

  // Runs the io_context until `done()` or the deadline.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds deadline) {
    auto end = clock_type::now() + deadline;
    while (!done()) {
      auto now = clock_type::now();
      if (now >= end) return done();
      if (ioc.stopped()) ioc.restart();
      if (ioc.run_one_for(end - now) == 0 && ioc.stopped())
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // no work at all: nothing can change
    }
    return true;
  }

  void start_read() {
    if (reading || ended) return;
    reading = true;
    ws.async_read(buffer, [this](beast::error_code ec, std::size_t) {
      reading = false;
      if (ec) {
        ended = true;
        end_error = ec;
        return;
      }
      inbox.push_back(beast::buffers_to_string(buffer.data()));
      buffer.consume(buffer.size());
      if (options.read_automatically) start_read();
    });
  }

  void write(const std::string& data, bool text, std::chrono::milliseconds deadline) {
    if (ended) throw std::runtime_error("ws_test_client: write on a closed connection");
    bool done = false;
    beast::error_code result;
    ws.text(text);
    ws.async_write(asio::buffer(data), [&](beast::error_code ec, std::size_t) {
      done = true;
      result = ec;
    });
    if (!run_until([&] { return done; }, deadline)) {
      // The write cannot be abandoned while in flight: end the connection so it completes.
      beast::get_lowest_layer(ws).socket().close(result);
      run_until([&] { return done; }, std::chrono::seconds(5));
      throw std::runtime_error("ws_test_client: write timed out");
    }
    if (result) throw std::runtime_error("ws_test_client: write failed: " + result.message());
  }
};

ws_test_client::ws_test_client(std::uint16_t port, ws_client_options options, asio::io_context* shared)
    : impl_(std::make_unique<impl>(shared, std::move(options))) {
  auto& d = *impl_;
  auto& sock = beast::get_lowest_layer(d.ws).socket();
  sock.open(tcp::v4());
  if (d.options.receive_buffer > 0) sock.set_option(asio::socket_base::receive_buffer_size(d.options.receive_buffer));
  bool done = false;
  beast::error_code result;
  beast::get_lowest_layer(d.ws).expires_after(d.options.deadline);
  beast::get_lowest_layer(d.ws).async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                                              [&](beast::error_code ec) {
                                                done = true;
                                                result = ec;
                                              });
  d.run_until([&] { return done; }, d.options.deadline + std::chrono::seconds(1));
  if (!done || result) throw std::runtime_error("ws_test_client: connect failed: " + result.message());
  beast::get_lowest_layer(d.ws).expires_never();
  d.ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  d.ws.read_message_max(256 * 1024 * 1024);
  const std::string proto = d.options.subprotocol;
  d.ws.set_option(websocket::stream_base::decorator([proto](websocket::request_type& req) {
    if (!proto.empty()) req.set(beast::http::field::sec_websocket_protocol, proto);
  }));
  websocket::response_type res;
  done = false;
  d.ws.async_handshake(res, "127.0.0.1:" + std::to_string(port), d.options.target, [&](beast::error_code ec) {
    done = true;
    result = ec;
  });
  d.run_until([&] { return done; }, d.options.deadline);
  if (!done || result)
    throw std::runtime_error("ws_test_client: handshake failed (HTTP " + std::to_string(res.result_int()) +
                             "): " + result.message() + " " + res.body());
  d.protocol = std::string(res[beast::http::field::sec_websocket_protocol]);
  if (d.options.read_automatically) d.start_read();
}

ws_test_client::~ws_test_client() {
  auto& d = *impl_;
  beast::error_code ignored;
  beast::get_lowest_layer(d.ws).socket().close(ignored);
  // Let the cancelled read complete while this object still exists.
  d.run_until([&] { return !d.reading; }, std::chrono::seconds(2));
}

const std::string& ws_test_client::subprotocol() const { return impl_->protocol; }

void ws_test_client::send(const std::string& text, std::chrono::milliseconds deadline) {
  impl_->write(text, true, deadline);
}
void ws_test_client::send_binary(const std::string& bytes, std::chrono::milliseconds deadline) {
  impl_->write(bytes, false, deadline);
}
void ws_test_client::send_json(const boost::json::value& v, std::chrono::milliseconds deadline) {
  impl_->write(boost::json::serialize(v), true, deadline);
}

std::optional<std::string> ws_test_client::read(std::chrono::milliseconds deadline) {
  auto& d = *impl_;
  d.start_read();
  d.run_until([&] { return !d.inbox.empty() || d.ended; }, deadline);
  if (d.inbox.empty()) return std::nullopt;
  auto m = std::move(d.inbox.front());
  d.inbox.pop_front();
  return m;
}

std::optional<boost::json::value> ws_test_client::read_json(std::chrono::milliseconds deadline) {
  auto m = read(deadline);
  if (!m) return std::nullopt;
  return boost::json::parse(*m);
}

std::optional<boost::json::value> ws_test_client::read_until(
    const std::function<bool(const boost::json::value&)>& pred, std::chrono::milliseconds deadline,
    std::vector<boost::json::value>* skipped) {
  auto end = clock_type::now() + deadline;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - clock_type::now());
    if (left.count() < 0) left = std::chrono::milliseconds(0);
    auto v = read_json(left);
    if (!v) return std::nullopt;
    if (pred(*v)) return v;
    if (skipped) skipped->push_back(std::move(*v));
  }
}

std::size_t ws_test_client::pending() const { return impl_->inbox.size(); }
bool ws_test_client::closed() const { return impl_->ended; }
std::uint16_t ws_test_client::close_code() const { return impl_->ws.reason().code; }
std::string ws_test_client::close_reason() const { return std::string(impl_->ws.reason().reason.c_str()); }

bool ws_test_client::wait_closed(std::chrono::milliseconds deadline) {
  auto& d = *impl_;
  d.options.read_automatically = true;
  d.start_read();
  return d.run_until(
      [&] {
        d.inbox.clear();
        return d.ended;
      },
      deadline);
}

void ws_test_client::run_for(std::chrono::milliseconds dur) {
  auto& d = *impl_;
  auto end = clock_type::now() + dur;
  d.run_until([&] { return clock_type::now() >= end; }, dur);
}

void ws_test_client::close(std::chrono::milliseconds deadline) {
  auto& d = *impl_;
  if (d.ended) return;
  bool done = false;
  d.ws.async_close(websocket::close_code::normal, [&](beast::error_code) { done = true; });
  d.run_until([&] { return done && !d.reading; }, deadline);
}

std::string message_type(const boost::json::value& v) {
  if (!v.is_object()) return {};
  const auto* t = v.get_object().if_contains("type");
  return t && t->is_string() ? std::string(t->get_string()) : std::string();
}

}  // namespace warren::test
