// [httpserver.X] header-timeout, idle-timeout, max-connections, require-client-cert and the TLS
// files of HTTPS listeners (loaded by load_config_file with OpenSSL), and [warren] read-token and
// metrics-token: values, ranges, errors naming the file, and secrets kept out of error text.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "service/config/load.hpp"
#include "tests/support/tls_pki.hpp"
#include "tests/support/warren_process.hpp"

namespace warren {
namespace {
using namespace std::chrono_literals;

const std::string cluster = "[cluster.local]\nservers = [\"127.0.0.1:9092\"]\n";

std::string errors_of(const config_result& r) { return r ? std::string() : format_errors(r.error()); }

BOOST_AUTO_TEST_SUITE(config_http_keys)

BOOST_AUTO_TEST_CASE(listener_limits_have_defaults_and_take_values) {
  auto d = parse_config(cluster, "inline.toml");
  BOOST_REQUIRE(d.has_value());
  const auto& h = d->httpservers.at("default");
  BOOST_TEST(h.header_timeout == 10s);
  BOOST_TEST(h.idle_timeout == 60s);
  BOOST_TEST(h.max_connections == 10000);
  BOOST_TEST(!h.require_client_cert);
  auto v = parse_config(cluster + "[httpserver.a]\naddress = \":0\"\nheader-timeout = 3\nidle-timeout = 7\n"
                                  "max-connections = 5\n",
                        "inline.toml");
  BOOST_TEST_REQUIRE(v.has_value(), errors_of(v));
  BOOST_TEST(v->httpservers.at("a").header_timeout == 3s);
  BOOST_TEST(v->httpservers.at("a").idle_timeout == 7s);
  BOOST_TEST(v->httpservers.at("a").max_connections == 5);
}

BOOST_AUTO_TEST_CASE(listener_limits_out_of_range_are_errors) {
  auto r = parse_config(cluster + "[httpserver.a]\nheader-timeout = 0\nidle-timeout = 0\nmax-connections = 0\n",
                        "inline.toml");
  BOOST_REQUIRE(!r.has_value());
  const auto text = errors_of(r);
  BOOST_TEST(text.find("inline.toml:4: httpserver.a.header-timeout: must be at least 1") != std::string::npos, text);
  BOOST_TEST(text.find("inline.toml:5: httpserver.a.idle-timeout: must be at least 1") != std::string::npos, text);
  BOOST_TEST(text.find("inline.toml:6: httpserver.a.max-connections: must be 1..1000000") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(require_client_cert_needs_tls_with_a_cafile) {
  auto none = parse_config(cluster + "[httpserver.a]\nrequire-client-cert = true\n", "inline.toml");
  BOOST_REQUIRE(!none.has_value());
  BOOST_TEST(errors_of(none).find("httpserver.a.require-client-cert: needs tls") != std::string::npos, errors_of(none));
  auto no_ca = parse_config(cluster + "[tls.web]\ncertfile = \"c.pem\"\nkeyfile = \"k.pem\"\n"
                                      "[httpserver.a]\ntls = \"web\"\nrequire-client-cert = true\n",
                            "inline.toml");
  BOOST_REQUIRE(!no_ca.has_value());
  BOOST_TEST(errors_of(no_ca).find("httpserver.a.require-client-cert: tls profile \"web\" needs a cafile") !=
                 std::string::npos,
             errors_of(no_ca));
}

BOOST_AUTO_TEST_CASE(tokens_load_and_a_bad_one_is_reported_without_its_value) {
  auto ok = parse_config(cluster + "[warren]\nread-token = \"r3ad\"\nmetrics-token = \"m3t\"\n", "inline.toml");
  BOOST_TEST_REQUIRE(ok.has_value(), errors_of(ok));
  BOOST_TEST(ok->warren.read_token == "r3ad");
  BOOST_TEST(ok->warren.metrics_token == "m3t");
  auto bad = parse_config(cluster + "[warren]\nread-token = \"open sesame\"\n", "inline.toml");
  BOOST_REQUIRE(!bad.has_value());
  const auto text = errors_of(bad);
  BOOST_TEST(text.find("inline.toml:4: warren.read-token: must be a single word") != std::string::npos, text);
  BOOST_TEST(text.find("sesame") == std::string::npos, text);
}

struct pki_fixture {
  test::test_pki pki = test::make_test_pki();
  config_result load(const std::string& certfile, const std::string& keyfile, const std::string& extra = {}) {
    const auto path = pki.dir / "warren.toml";
    std::ofstream(path) << cluster << "[tls.web]\ncertfile = \"" << certfile << "\"\nkeyfile = \"" << keyfile
                        << "\"\ncafile = \"" << pki.ca_cert.string() << "\"\n[httpserver.a]\naddress = \":0\"\n"
                        << "tls = \"web\"\n" << extra;
    return load_config_file(path, no_environment);
  }
};

BOOST_FIXTURE_TEST_CASE(https_listener_files_are_loaded_with_the_config, pki_fixture) {
  auto good = load(pki.server_cert.string(), pki.server_key.string(), "require-client-cert = true\n");
  BOOST_TEST(good.has_value(), errors_of(good));
  // parse_config reads no other file: the same text with missing files parses.
  BOOST_TEST(parse_config(cluster + "[tls.web]\ncertfile = \"/nope/c.pem\"\nkeyfile = \"/nope/k.pem\"\n"
                                    "[httpserver.a]\ntls = \"web\"\n",
                          "inline.toml")
                 .has_value());
}

BOOST_FIXTURE_TEST_CASE(missing_or_bad_tls_files_are_errors_naming_the_file, pki_fixture) {
  const std::string file = (pki.dir / "warren.toml").string();
  const std::string missing = (pki.dir / "missing.pem").string();
  auto m = load(missing, pki.server_key.string());
  BOOST_REQUIRE(!m.has_value());
  BOOST_TEST(errors_of(m).find(file + ":4: tls.web.certfile: cannot read certificate " + missing + ": No such file or directory") !=
                 std::string::npos,
             errors_of(m));

  const auto garbage = pki.dir / "garbage.pem";
  std::ofstream(garbage) << "not a key\n";
  auto g = load(pki.server_cert.string(), garbage.string());
  BOOST_REQUIRE(!g.has_value());
  BOOST_TEST(errors_of(g).find(file + ":5: tls.web.keyfile: cannot load private key " + garbage.string() + ": ") !=
                 std::string::npos,
             errors_of(g));

  auto mismatch = load(pki.server_cert.string(), pki.client_key.string());
  BOOST_REQUIRE(!mismatch.has_value());
  BOOST_TEST(errors_of(mismatch).find("tls.web.keyfile: cannot load private key " + pki.client_key.string() +
                                      ": key values mismatch") != std::string::npos,
             errors_of(mismatch));

  auto key_as_cert = load(pki.server_key.string(), pki.server_key.string());
  BOOST_REQUIRE(!key_as_cert.has_value());
  BOOST_TEST(errors_of(key_as_cert).find("tls.web.certfile: cannot load certificate") != std::string::npos,
             errors_of(key_as_cert));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace warren
