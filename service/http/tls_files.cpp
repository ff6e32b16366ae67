#include "service/http/tls_files.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace warren::http {
namespace {
// The first reason OpenSSL queued (the root cause; later entries say which wrapper failed), then
// the queue is cleared: it is per thread and must not leak into unrelated calls.
std::string openssl_reason() {
  const unsigned long first = ERR_get_error();
  ERR_clear_error();
  if (first == 0) return "unknown error";
  const char* r = ERR_reason_error_string(first);
  return r ? r : "error " + std::to_string(first);
}
// nullopt when `path` can be opened for reading, else why not (errno's words).
std::optional<std::string> unreadable(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return std::string(std::strerror(errno));
  std::fclose(f);
  return std::nullopt;
}
struct ctx_free {
  void operator()(SSL_CTX* c) const noexcept { SSL_CTX_free(c); }
};
}  // namespace

std::optional<tls_file_problem> check_server_tls_files(const std::string& certfile, const std::string& keyfile,
                                                       const std::string& cafile) {
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, ctx_free> ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return tls_file_problem{"certfile", "cannot create a TLS context: " + openssl_reason()};
  // A passphrase-protected key must fail, not prompt on the terminal.
  SSL_CTX_set_default_passwd_cb(ctx.get(), [](char*, int, int, void*) { return 0; });
  if (auto why = unreadable(certfile)) return tls_file_problem{"certfile", "cannot read certificate " + certfile + ": " + *why};
  if (auto why = unreadable(keyfile)) return tls_file_problem{"keyfile", "cannot read private key " + keyfile + ": " + *why};
  if (!cafile.empty())
    if (auto why = unreadable(cafile)) return tls_file_problem{"cafile", "cannot read CA bundle " + cafile + ": " + *why};
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), certfile.c_str()) != 1)
    return tls_file_problem{"certfile", "cannot load certificate " + certfile + ": " + openssl_reason()};
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), keyfile.c_str(), SSL_FILETYPE_PEM) != 1)
    return tls_file_problem{"keyfile", "cannot load private key " + keyfile + ": " + openssl_reason()};
  if (SSL_CTX_check_private_key(ctx.get()) != 1)
    return tls_file_problem{"keyfile", "private key " + keyfile + " does not match certificate " + certfile + ": " +
                                           openssl_reason()};
  if (!cafile.empty() && SSL_CTX_load_verify_locations(ctx.get(), cafile.c_str(), nullptr) != 1)
    return tls_file_problem{"cafile", "cannot load CA bundle " + cafile + ": " + openssl_reason()};
  ERR_clear_error();
  return std::nullopt;
}

}  // namespace warren::http
