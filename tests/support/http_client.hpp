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

/// TLS settings of an HTTPS test call: the server is verified against `ca_file` for `server_name`.
struct tls_client_options {
  std::string ca_file;
  std::string cert_file;  ///< client certificate (mutual TLS); empty = none
  std::string key_file;
  std::string server_name = "localhost";
  int max_version = 0;  ///< e.g. TLS1_1_VERSION to prove old versions are refused; 0 = any
};

/// http_call over TLS 1.2+ (Beast over OpenSSL). Throws std::runtime_error on connection,
/// handshake (message includes OpenSSL's reason) or HTTP failure.
http_reply https_call(std::uint16_t port, const tls_client_options& tls, const std::string& method,
                      const std::string& target, const std::string& body = {},
                      const std::map<std::string, std::string>& headers = {},
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// A free TCP port on 127.0.0.1 (bound then released).
std::uint16_t free_port();

}  // namespace warren::test
