#include "service/fleet/forward.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace warren::fleet {
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

task<forward_result> forward_get(asio::any_io_executor ex, std::string base_url, std::string target,
                                 std::string authorization, std::chrono::milliseconds timeout) {
  forward_result out;
  std::string_view rest(base_url);
  if (!rest.starts_with("http://")) {
    out.error = "owner URL " + base_url + " is not http://";
    co_return out;
  }
  rest.remove_prefix(7);
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  std::string host(rest), port = "80";
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos && rest.find(']', colon) == std::string_view::npos) {
    host = std::string(rest.substr(0, colon));
    port = std::string(rest.substr(colon + 1));
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  beast::tcp_stream stream(ex);
  // The resolver has no deadline of its own: a timer closes the stream (and cancels it) at the
  // deadline; numeric hosts resolve at once.
  tcp::resolver resolver(ex);
  asio::steady_timer guard(ex);
  guard.expires_at(deadline);
  bool timed_out = false;
  guard.async_wait([&](const boost::system::error_code& ec) {
    if (ec) return;
    timed_out = true;
    resolver.cancel();
    stream.cancel();
  });
  auto fail = [&](const boost::system::error_code& ec) {
    out.error = timed_out ? "timed out after " + std::to_string(timeout.count()) + " ms" : ec.message();
  };
  auto [rec, endpoints] = co_await resolver.async_resolve(host, port, use_nothrow);
  if (rec || timed_out) {
    fail(rec ? rec : asio::error::timed_out);
    guard.cancel();
    co_return out;
  }
  stream.expires_at(deadline);
  auto [cec, ep] = co_await stream.async_connect(endpoints, use_nothrow);
  (void)ep;
  if (cec) {
    fail(cec);
    guard.cancel();
    co_return out;
  }
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, target, 11};
  req.set(bhttp::field::host, std::string(rest));
  req.set(bhttp::field::user_agent, "warren-forward");
  req.set(http::forwarded_header, "1");
  if (!authorization.empty()) req.set(bhttp::field::authorization, authorization);
  req.keep_alive(false);
  auto [wec, wn] = co_await bhttp::async_write(stream, req, use_nothrow);
  (void)wn;
  if (wec) {
    fail(wec);
    guard.cancel();
    co_return out;
  }
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  auto [rdec, rn] = co_await bhttp::async_read(stream, buffer, parser, use_nothrow);
  (void)rn;
  guard.cancel();
  if (rdec) {
    fail(rdec);
    co_return out;
  }
  auto& res = parser.get();
  out.ok = true;
  out.response.status = res.result_int();
  if (auto it = res.find(bhttp::field::content_type); it != res.end()) out.response.content_type = std::string(it->value());
  out.response.body = std::move(res.body());
  beast::error_code ignore;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignore);
  co_return out;
}

}  // namespace warren::fleet
