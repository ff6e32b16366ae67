#pragma once
// Test certificates made with the `openssl` command line in a fresh temp dir: a CA, a server
// certificate for localhost/127.0.0.1 signed by it, a client certificate signed by it, and a
// second CA with a client certificate of its own (to prove a wrong CA is refused), and an expired
// server and client certificate signed by the CA. EC P-256 keys, valid for two days (the expired
// ones: notAfter one day before notBefore). Throws std::runtime_error (with openssl's output) when a step fails.
#include <filesystem>

namespace warren::test {

struct test_pki {
  std::filesystem::path dir;
  std::filesystem::path ca_cert, ca_key;
  std::filesystem::path server_cert, server_key;
  std::filesystem::path client_cert, client_key;
  std::filesystem::path other_ca_cert;                   ///< a CA that signed neither of the above
  std::filesystem::path other_client_cert, other_client_key;  ///< signed by other_ca_cert
  std::filesystem::path expired_server_cert, expired_server_key;  ///< localhost/127.0.0.1, signed by ca_cert, expired
  std::filesystem::path expired_client_cert, expired_client_key;  ///< signed by ca_cert, expired
};

test_pki make_test_pki();

}  // namespace warren::test
