#pragma once
// Checks the TLS material of an HTTPS listener with OpenSSL, without serving (used by the config
// loader so a bad file is a configuration error). OpenSSL stays in tls_files.cpp. Any thread.
#include <optional>
#include <string>

namespace warren::http {

struct tls_file_problem {
  std::string key;     ///< the [tls.NAME] key at fault: "certfile", "keyfile" or "cafile"
  std::string reason;  ///< names the file, e.g. "cannot load certificate x.pem: no start line"
};

/// Loads `certfile` (PEM chain), `keyfile` (PEM private key, unencrypted) and checks that they
/// match; with a non-empty `cafile`, loads it as the CA bundle for client certificates.
/// nullopt when all is well.
std::optional<tls_file_problem> check_server_tls_files(const std::string& certfile, const std::string& keyfile,
                                                       const std::string& cafile);

}  // namespace warren::http
