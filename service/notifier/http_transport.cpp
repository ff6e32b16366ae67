#include "service/notifier/http_transport.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <fstream>
#include <variant>

#include "service/notifier/email_transport.hpp"  // header_value

namespace warren::notifier {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

struct target {
  bool tls = false;
  std::string host, port, path;
  std::optional<std::string> userinfo;  ///< decoded `user:password` of the URL, when it has one
  std::string origin() const { return (tls ? "https://" : "http://") + host + ":" + port; }
};

// The parts of an absolute http(s) URL a request needs; nullopt with `why` otherwise.
std::optional<target> parse_target(std::string_view url, std::string& why) {
  auto u = boost::urls::parse_uri(url);
  if (!u) {
    why = "not a valid URL";
    return std::nullopt;
  }
  target t;
  auto scheme = u->scheme();
  if (scheme == "https") t.tls = true;
  else if (scheme != "http") {
    why = "the URL scheme must be http or https";
    return std::nullopt;
  }
  t.host = u->encoded_host();
  if (!t.host.empty() && t.host.front() == '[' && t.host.back() == ']') t.host = t.host.substr(1, t.host.size() - 2);
  if (t.host.empty()) {
    why = "the URL has no host";
    return std::nullopt;
  }
  t.port = u->has_port() ? std::string(u->port()) : (t.tls ? "443" : "80");
  t.path = u->encoded_path().empty() ? "/" : std::string(u->encoded_path());
  if (u->has_query()) t.path += "?" + std::string(u->encoded_query());
  if (u->has_userinfo()) t.userinfo = u->user() + ":" + u->password();
  return t;
}

std::string base64(std::string_view in) {
  std::string out(beast::detail::base64::encoded_size(in.size()), '\0');
  out.resize(beast::detail::base64::encode(out.data(), in.data(), in.size()));
  return out;
}

bool retryable_status(unsigned code) { return code >= 500 || code == 408 || code == 429; }

class http_transport final : public transport {
 public:
  http_transport(asio::any_io_executor ex, http_options o)
      : ex_(ex), o_(std::move(o)), ctx_(ssl::context::tls_client), resolver_(ex), deadline_(ex) {
    ctx_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                     ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    ctx_.set_default_verify_paths();
    if (!o_.extra_ca.empty()) {
      boost::system::error_code ec;
      ctx_.load_verify_file(o_.extra_ca, ec);
      if (ec) throw std::runtime_error("extra-ca " + o_.extra_ca + ": " + ec.message());
    }
    ctx_.set_verify_mode(o_.noverify ? ssl::verify_none : ssl::verify_peer);
  }

  std::string describe(const notification& n) const override { return url_origin(n.url); }

  void cancel() override {
    resolver_.cancel();
    deadline_.cancel();
    if (conn_) {
      boost::system::error_code ec;
      conn_->socket().cancel(ec);
      conn_->socket().close(ec);
    }
  }

  task<delivery> deliver(const notification& n) override {
    std::string why;
    auto t = parse_target(n.url, why);
    if (!t) co_return delivery{false, false, "URL: " + why};
    bhttp::request<bhttp::string_body> req;
    auto verb = bhttp::string_to_verb(n.method.empty() ? "POST" : n.method);
    if (verb == bhttp::verb::unknown) req.method_string(n.method);
    else req.method(verb);
    req.target(t->path);
    req.version(11);
    bool default_port = t->port == (t->tls ? "443" : "80");
    std::string host_header = t->host.find(':') != std::string::npos ? "[" + t->host + "]" : t->host;
    req.set(bhttp::field::host, default_port ? host_header : host_header + ":" + t->port);
    req.set(bhttp::field::user_agent, "warren");
    req.set(bhttp::field::content_type, o_.content_type);
    // username/password win (Burrow's SetBasicAuth); otherwise credentials in the URL are basic
    // auth, as Go's client sends them.
    if (!o_.username.empty()) req.set(bhttp::field::authorization, "Basic " + base64(o_.username + ":" + o_.password));
    else if (t->userinfo) req.set(bhttp::field::authorization, "Basic " + base64(*t->userinfo));
    // Config values, but never able to end their line (header_value: CR/LF become a space).
    for (const auto& [k, v] : o_.headers) req.set(header_value(k), header_value(v));
    req.keep_alive(!o_.disable_keepalive);
    req.body() = n.body;
    req.prepare_payload();

    auto until = std::chrono::steady_clock::now() + o_.timeout;
    for (int pass = 0; pass < 2; ++pass) {
      bool fresh = false;
      if (!conn_ || conn_->key != t->origin() || !conn_->socket().is_open()) {
        conn_.reset();
        auto made = co_await connect(*t, until);
        if (!made.ok) co_return made;
        fresh = true;
      }
      auto result = co_await exchange(req, until);
      if (result.ok || fresh || result.got_response) co_return result.outcome;
      // A kept-alive connection the receiver had closed: open a new one once.
      conn_.reset();
    }
    co_return delivery{false, true, "connection closed by the receiver"};
  }

 private:
  struct connection {
    std::string key;
    std::variant<std::unique_ptr<beast::tcp_stream>, std::unique_ptr<beast::ssl_stream<beast::tcp_stream>>> stream;
    beast::flat_buffer buffer;
    beast::tcp_stream& lowest() {
      if (auto* p = std::get_if<0>(&stream)) return **p;
      return beast::get_lowest_layer(*std::get<1>(stream));
    }
    tcp::socket& socket() { return lowest().socket(); }
  };

  struct exchange_result {
    bool ok = false;
    bool got_response = false;
    delivery outcome;
  };

  static std::string timeout_text(const http_options& o) {
    return "timed out after " + std::to_string(o.timeout.count()) + " ms";
  }

  task<delivery> connect(const target& t, std::chrono::steady_clock::time_point until) {
    deadline_.expires_at(until);
    auto resolved = co_await (resolver_.async_resolve(t.host, t.port, use_nothrow) || deadline_.async_wait(use_nothrow));
    if (resolved.index() == 1) co_return delivery{false, true, "resolving " + t.host + " " + timeout_text(o_)};
    auto [rec, endpoints] = std::get<0>(resolved);
    if (rec) co_return delivery{false, true, "cannot resolve " + t.host + ": " + rec.message()};
    auto c = std::make_unique<connection>();
    c->key = t.origin();
    auto tcp_stream = std::make_unique<beast::tcp_stream>(ex_);
    tcp_stream->expires_at(until);
    auto [cec, ep] = co_await tcp_stream->async_connect(endpoints, use_nothrow);
    if (cec) {
      co_return delivery{false, true,
                         cec == beast::error::timeout ? "connect " + timeout_text(o_) : "connect: " + cec.message()};
    }
    boost::system::error_code ignored;
    tcp_stream->socket().set_option(tcp::no_delay(true), ignored);
    tcp_stream->socket().set_option(asio::socket_base::keep_alive(true), ignored);
    if (o_.keepalive.count() > 0) {
      int secs = static_cast<int>(std::min<std::int64_t>(o_.keepalive.count(), 32767));
      ::setsockopt(tcp_stream->socket().native_handle(), IPPROTO_TCP, TCP_KEEPIDLE, &secs, sizeof secs);
      ::setsockopt(tcp_stream->socket().native_handle(), IPPROTO_TCP, TCP_KEEPINTVL, &secs, sizeof secs);
    }
    if (!t.tls) {
      c->stream = std::move(tcp_stream);
    } else {
      auto s = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(*tcp_stream), ctx_);
      // SNI, and the certificate must name the host (unless noverify).
      if (!SSL_set_tlsext_host_name(s->native_handle(), t.host.c_str()))
        co_return delivery{false, false, "TLS: cannot set the server name"};
      if (!o_.noverify) s->set_verify_callback(ssl::host_name_verification(t.host));
      beast::get_lowest_layer(*s).expires_at(until);
      auto [hec] = co_await s->async_handshake(ssl::stream_base::client, use_nothrow);
      if (hec) {
        co_return delivery{false, true,
                           hec == beast::error::timeout ? "TLS handshake " + timeout_text(o_)
                                                        : "TLS handshake: " + hec.message()};
      }
      c->stream = std::move(s);
    }
    conn_ = std::move(c);
    co_return delivery{true, false, {}};
  }

  template <class Stream>
  task<exchange_result> exchange_on(Stream& s, connection& c, bhttp::request<bhttp::string_body>& req) {
    exchange_result r;
    auto [wec, wn] = co_await bhttp::async_write(s, req, use_nothrow);
    (void)wn;
    if (wec) {
      r.outcome = {false, true, wec == beast::error::timeout ? "request " + timeout_text(o_) : "write: " + wec.message()};
      co_return r;
    }
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(o_.response_limit);
    auto [rec, rn] = co_await bhttp::async_read(s, c.buffer, parser, use_nothrow);
    (void)rn;
    if (rec) {
      r.got_response = rec != bhttp::error::end_of_stream && rec != asio::error::connection_reset &&
                       rec != asio::error::eof && rec != asio::ssl::error::stream_truncated;
      r.outcome = {false, true,
                   rec == beast::error::timeout ? "response " + timeout_text(o_) : "read: " + rec.message()};
      co_return r;
    }
    r.got_response = true;
    auto& res = parser.get();
    unsigned code = res.result_int();
    if (!res.keep_alive() || o_.disable_keepalive) {
      boost::system::error_code ignored;
      c.socket().shutdown(tcp::socket::shutdown_both, ignored);
      c.socket().close(ignored);
    }
    if (code >= 200 && code < 300) {
      r.ok = true;
      r.outcome = {true, false, {}};
    } else {
      r.outcome = {false, retryable_status(code), "HTTP " + std::to_string(code)};
    }
    co_return r;
  }

  task<exchange_result> exchange(bhttp::request<bhttp::string_body>& req, std::chrono::steady_clock::time_point until) {
    auto& c = *conn_;
    c.lowest().expires_at(until);
    exchange_result r;
    if (auto* p = std::get_if<0>(&c.stream)) r = co_await exchange_on(**p, c, req);
    else r = co_await exchange_on(*std::get<1>(c.stream), c, req);
    if (!r.ok && !r.got_response) conn_.reset();
    else if (conn_ && conn_->socket().is_open()) conn_->lowest().expires_never();
    if (!r.ok && r.got_response && conn_ && !conn_->socket().is_open()) conn_.reset();
    co_return r;
  }

  asio::any_io_executor ex_;
  http_options o_;
  ssl::context ctx_;
  tcp::resolver resolver_;
  asio::steady_timer deadline_;
  std::unique_ptr<connection> conn_;
};

}  // namespace

std::string url_origin(std::string_view url) {
  std::string why;
  auto t = parse_target(url, why);
  if (!t) return "(invalid URL)";
  return t->origin();
}

std::optional<std::string> check_http_options(const http_options& o) {
  if (o.extra_ca.empty()) return std::nullopt;
  try {
    ssl::context ctx(ssl::context::tls_client);
    ctx.load_verify_file(o.extra_ca);
  } catch (const std::exception& e) {
    return "cannot load CA file " + o.extra_ca + ": " + e.what();
  }
  return std::nullopt;
}

std::unique_ptr<transport> make_http_transport(asio::any_io_executor ex, http_options o) {
  return std::make_unique<http_transport>(ex, std::move(o));
}

}  // namespace warren::notifier
