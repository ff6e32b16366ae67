#include "tests/support/tls_pki.hpp"

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/kafka_harness.hpp"
#include "tests/support/warren_process.hpp"

namespace warren::test {
namespace fs = std::filesystem;
namespace {

void openssl(const fs::path& dir, std::vector<std::string> args) {
  args.insert(args.begin(), "openssl");
  child_process p(args, dir / "openssl.log", dir);
  auto status = p.wait_for(std::chrono::seconds(30));
  if (!status || *status != 0) {
    std::string cmd;
    for (const auto& a : args) cmd += a + " ";
    throw std::runtime_error("test PKI: `" + cmd + "` failed:\n" + p.output());
  }
}

// A key and a certificate for `cn`, signed by (ca, ca_key), with the given X.509v3 extensions.
// `days` = -1 makes a certificate that expired the moment it was made (notAfter a day before notBefore).
void issue(const fs::path& dir, const std::string& name, const std::string& cn, const fs::path& ca,
           const fs::path& ca_key, const std::string& extensions, int days = 2) {
  std::ofstream(dir / (name + ".ext")) << extensions << "\n";
  openssl(dir, {"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                name + ".key", "-out", name + ".csr", "-subj", "/CN=" + cn});
  openssl(dir, {"x509", "-req", "-in", name + ".csr", "-CA", ca.string(), "-CAkey", ca_key.string(),
                "-CAcreateserial", "-out", name + ".pem", "-days", std::to_string(days), "-extfile", name + ".ext"});
}

void make_ca(const fs::path& dir, const std::string& name, const std::string& cn) {
  openssl(dir, {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                name + ".key", "-out", name + ".pem", "-days", "2", "-subj", "/CN=" + cn});
}

}  // namespace

test_pki make_test_pki() {
  test_pki p;
  p.dir = write_temp_file("README", "test PKI made by tests/support/tls_pki.cpp\n").parent_path();
  make_ca(p.dir, "ca", "Warren Test CA");
  make_ca(p.dir, "other-ca", "Some Other CA");
  p.ca_cert = p.dir / "ca.pem";
  p.ca_key = p.dir / "ca.key";
  p.other_ca_cert = p.dir / "other-ca.pem";
  issue(p.dir, "server", "localhost", p.ca_cert, p.ca_key,
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth");
  issue(p.dir, "client", "warren-test-client", p.ca_cert, p.ca_key, "extendedKeyUsage=clientAuth");
  issue(p.dir, "other-client", "someone-else", p.other_ca_cert, p.dir / "other-ca.key", "extendedKeyUsage=clientAuth");
  issue(p.dir, "expired-server", "localhost", p.ca_cert, p.ca_key,
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth", -1);
  issue(p.dir, "expired-client", "warren-expired-client", p.ca_cert, p.ca_key, "extendedKeyUsage=clientAuth", -1);
  p.expired_server_cert = p.dir / "expired-server.pem";
  p.expired_server_key = p.dir / "expired-server.key";
  p.expired_client_cert = p.dir / "expired-client.pem";
  p.expired_client_key = p.dir / "expired-client.key";
  p.server_cert = p.dir / "server.pem";
  p.server_key = p.dir / "server.key";
  p.client_cert = p.dir / "client.pem";
  p.client_key = p.dir / "client.key";
  p.other_client_cert = p.dir / "other-client.pem";
  p.other_client_key = p.dir / "other-client.key";
  return p;
}

}  // namespace warren::test
