#pragma once
// http_server: one listener from an [httpserver.X] section. Accepts on the io thread, one coroutine
// per connection (keep-alive, read timeout, body limit), hands each request to `handler` and writes
// its response. WebSocket upgrades on the stream path are handed to `upgrade` (see ws/). Beast
// stays in server.cpp.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "service/core/async.hpp"
#include "service/core/result.hpp"
#include "service/http/types.hpp"
#include "service/http/upgrade.hpp"

namespace warren::http {

using request_handler = std::function<response(const request&)>;

struct server_options {
  std::string name = "default";
  std::string address = ":0";  ///< host:port; empty host = all interfaces
  std::chrono::seconds timeout{300};
  std::size_t body_limit = 64 * 1024;
  upgrade_handler upgrade;  ///< WebSocket upgrades; empty = none (answered 404 by the handler)
};

/// Parses Burrow's "host:port" (":8000", "127.0.0.1:8000", "[::1]:8000").
bool parse_listen_address(const std::string& address, std::string& host, unsigned short& port);

class server {
 public:
  server(asio::any_io_executor ex, server_options options, request_handler handler);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds and listens; a clear error (address, in use) on failure.
  result<void> listen(std::string& error_text);
  unsigned short port() const;
  void start();
  /// Stops accepting and closes idle connections; in-flight responses finish.
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace warren::http
