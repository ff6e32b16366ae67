#pragma once
// A small blocking HTTP/1.1 client for tests (one connection per request, loopback only).
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace warren::test {

struct http_reply {
  unsigned status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  ///< lower-case names
};

/// Sends METHOD TARGET to 127.0.0.1:port; throws std::runtime_error on connection failure.
http_reply http_call(std::uint16_t port, const std::string& method, const std::string& target,
                     const std::string& body = {}, const std::map<std::string, std::string>& headers = {},
                     std::chrono::milliseconds timeout = std::chrono::seconds(10));
inline http_reply http_get(std::uint16_t port, const std::string& target) { return http_call(port, "GET", target); }

/// A free TCP port on 127.0.0.1 (bound then released).
std::uint16_t free_port();

}  // namespace warren::test
