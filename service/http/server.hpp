#pragma once
// http_server: one listener from an [httpserver.X] section. Accepts on the io thread, one coroutine
// per connection, hands each request to `handler` and writes its response. WebSocket upgrades are
// checked against the read token (auth.hpp) and handed to `upgrade` (see ws/). Beast and OpenSSL
// stay in server.cpp.
//
// Per connection: plain TCP, or TLS 1.2+ when `tls.certfile` is set (optionally requiring a client
// certificate signed by `tls.cafile`). Deadlines: the TLS handshake and the first request's header
// within header_timeout of accept; a keep-alive connection waits at most idle_timeout for the
// next request, whose header must then arrive within header_timeout; bodies are read and
// responses written within timeout. `Expect: 100-continue` is answered before the body is read.
// Limits: header 16 KiB and 1000 fields (431), body body_limit (413), max_connections open connections per
// listener (more are closed at accept and counted). Transport errors (400, 413, 431, 500) are
// json_error() bodies. Accept failures for lack of descriptors or memory back off (100 ms doubling
// to 1 s) instead of spinning.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "service/core/async.hpp"
#include "service/core/result.hpp"
#include "service/http/auth.hpp"
#include "service/http/types.hpp"
#include "service/http/upgrade.hpp"

namespace warren {
struct config;
struct httpserver_module;
}  // namespace warren

namespace warren::http {

using request_handler = std::function<response(const request&)>;

/// TLS material of an HTTPS listener (file paths). Empty certfile = plain HTTP.
struct server_tls {
  std::string certfile;
  std::string keyfile;
  std::string cafile;  ///< CA of client certificates; used only with require_client_cert
  bool require_client_cert = false;
};

struct server_options {
  std::string name = "default";
  std::string address = ":0";  ///< host:port; empty host = all interfaces
  std::chrono::seconds timeout{300};         ///< body read and response write
  std::chrono::seconds header_timeout{10};   ///< TLS handshake and request header
  std::chrono::seconds idle_timeout{60};     ///< keep-alive wait for the next request
  std::size_t max_connections = 10000;       ///< open connections, upgraded WebSocket streams included
  std::size_t body_limit = 64 * 1024;
  std::string hostname;  ///< `request.host` in transport error bodies
  api_tokens tokens;     ///< /v3/stream upgrades need read access (auth.hpp)
  server_tls tls;
  upgrade_handler upgrade;  ///< WebSocket upgrades; empty = none (answered 404 by the handler)
};

/// The options for [httpserver.NAME] `m` of `cfg`: address, timeouts, cap, TLS profile, tokens.
server_options options_for(const config& cfg, const httpserver_module& m, std::string hostname);

/// Parses Burrow's "host:port" (":8000", "127.0.0.1:8000", "[::1]:8000").
bool parse_listen_address(const std::string& address, std::string& host, unsigned short& port);

/// PURE: the wait after an accept failure for lack of resources, given the previous wait (0 after
/// a success): 100 ms, then doubling, at most 1 s.
std::chrono::milliseconds next_accept_backoff(std::chrono::milliseconds previous);

/// Counters of one listener (io thread).
struct server_stats {
  std::uint64_t connections_refused = 0;  ///< closed at accept: max_connections reached
  std::uint64_t accept_errors = 0;        ///< accept failures (EMFILE, ENFILE, ...)
  std::size_t connections = 0;            ///< open connections now (upgraded ones until their stream ends)
};

class server {
 public:
  server(asio::any_io_executor ex, server_options options, request_handler handler);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds and listens (and loads the TLS material); a clear error (address, in use, file) on failure.
  result<void> listen(std::string& error_text);
  unsigned short port() const;
  void start();
  /// Stops accepting and closes idle connections; in-flight responses finish.
  void stop();

  const std::string& name() const;
  const server_stats& stats() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Prometheus text for the listeners' counters (warren_http_connections_refused_total,
/// warren_http_accept_errors_total, warren_http_connections), to append to /metrics.
std::string render_server_metrics(const std::vector<std::unique_ptr<server>>& servers);

}  // namespace warren::http
