#pragma once
// http_transport: Burrow's `http` notifier class on the wire (reference §f): one request per
// notification to the rendered URL with the rendered body, `Content-Type: application/json`,
// basic auth when a username is set (else from the URL's userinfo, as Go's client does), the
// configured headers; 2xx = delivered. Logs name only the URL's origin (url_origin). Async on the io
// thread (Beast), HTTPS through OpenSSL (system roots plus `extra-ca`; `noverify` turns
// verification off). One connection is kept per module and reused while the receiver keeps it
// alive (unless disable-http-keepalive); a reused connection that turns out to be closed is
// re-opened once at no cost to the retry budget. `keepalive` is the TCP keep-alive period of the
// connection (Go's Dialer.KeepAlive, which Burrow sets). Beast stays in the .cpp.
// io thread only.
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "service/notifier/sender.hpp"

namespace warren::notifier {

struct http_options {
  std::chrono::milliseconds timeout{5000};  ///< whole request: connect, TLS, write, read
  std::chrono::seconds keepalive{300};
  bool disable_keepalive = false;
  std::string extra_ca;  ///< PEM file added to the system roots
  bool noverify = false;
  std::string username, password;  // password: secret
  std::map<std::string, std::string> headers;
  std::string content_type = "application/json";
  std::size_t response_limit = 1 << 20;
};

/// Checks the options that read files (extra-ca). Returns why they are unusable, or nullopt.
std::optional<std::string> check_http_options(const http_options& o);

/// `scheme://host:port` of a URL, for logs (no credentials, path or query); "(invalid URL)".
std::string url_origin(std::string_view url);

/// Throws std::runtime_error when the TLS context cannot be set up (bad extra-ca).
std::unique_ptr<transport> make_http_transport(asio::any_io_executor ex, http_options o);

}  // namespace warren::notifier
