// Kafka security config (issue 9 part 3): names that point nowhere are errors, not a silent
// fallback to plaintext; [client-profile] tls/sasl become the librdkafka properties that
// kafka_security_test proves against a real broker; and the classification and once-per-outage
// reporting of authentication and TLS failures.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "service/app_settings.hpp"
#include "service/config/load.hpp"
#include "service/kafka/client.hpp"

using namespace warren;

namespace {

const std::string cluster = "[cluster.local]\nservers = [\"kafka:9093\"]\n";

std::vector<std::string> error_lines(const std::string& text) {
  auto r = parse_config(text, "inline.toml", no_environment);
  if (r) return {};
  std::vector<std::string> out;
  for (const auto& e : r.error()) out.push_back(e.to_string());
  return out;
}

config parse_ok(const std::string& text) {
  auto r = parse_config(text, "inline.toml", no_environment);
  if (!r) BOOST_FAIL("unexpected errors:\n" + format_errors(r.error()));
  return *r;
}

std::map<std::string, std::string> properties(const std::string& text, const std::string& profile) {
  return kafka::settings_for(parse_ok(text), {"kafka:9093"}, profile).properties;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(kafka_security_keys)

BOOST_AUTO_TEST_CASE(unknown_client_profile_tls_and_sasl_names_are_errors) {
  BOOST_TEST(error_lines("[cluster.local]\nservers = [\"kafka:9093\"]\nclient-profile = \"secure\"\n") ==
                 (std::vector<std::string>{"inline.toml:3: cluster.local.client-profile: \"secure\" is not defined "
                                           "(no [client-profile.secure])"}),
             boost::test_tools::per_element());
  BOOST_TEST(error_lines(cluster + "[consumer.c]\ncluster = \"local\"\nclient-profile = \"nope\"\n") ==
                 (std::vector<std::string>{"inline.toml:5: consumer.c.client-profile: \"nope\" is not defined "
                                           "(no [client-profile.nope])"}),
             boost::test_tools::per_element());
  BOOST_TEST(error_lines(cluster + "[client-profile.default]\ntls = \"missing\"\nsasl = \"gone\"\n") ==
                 (std::vector<std::string>{
                     "inline.toml:4: client-profile.default.tls: \"missing\" is not defined (no [tls.missing])",
                     "inline.toml:5: client-profile.default.sasl: \"gone\" is not defined (no [sasl.gone])"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(iam_is_not_supported) {
  const auto lines = error_lines(cluster + "[iam.msk]\nregion = \"eu-west-1\"\n[client-profile.default]\niam = \"msk\"\n");
  BOOST_TEST_REQUIRE(lines.size() == 1u);
  BOOST_TEST(lines[0].find("client-profile.default.iam: AWS MSK IAM authentication is not supported by Warren") !=
                 std::string::npos,
             lines[0]);
  BOOST_TEST(error_lines(cluster + "[client-profile.default]\niam = \"nope\"\n") ==
                 (std::vector<std::string>{"inline.toml:4: client-profile.default.iam: \"nope\" is not defined "
                                           "(no [iam.nope])"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(sasl_mechanisms_include_oauthbearer) {
  for (const char* m : {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER", "oauthbearer"})
    BOOST_TEST_CONTEXT(m) {
      BOOST_TEST(error_lines(cluster + "[sasl.s]\nmechanism = \"" + m + "\"\nusername = \"u\"\n").empty());
    }
  // The subject goes into librdkafka's space-separated sasl.oauthbearer.config.
  for (const char* bad : {"", "warren lifeSeconds=1", "a=b"})
    BOOST_TEST_CONTEXT(bad) {
      BOOST_TEST(error_lines(cluster + "[sasl.s]\nmechanism = \"OAUTHBEARER\"\nusername = \"" + bad + "\"\n") ==
                     (std::vector<std::string>{"inline.toml:5: sasl.s.username: OAUTHBEARER needs a username (the "
                                               "token's subject) without spaces or '='"}),
                 boost::test_tools::per_element());
    }
  BOOST_TEST(error_lines(cluster + "[sasl.s]\nmechanism = \"GSSAPI\"\n") ==
                 (std::vector<std::string>{"inline.toml:4: sasl.s.mechanism: unknown SASL mechanism \"GSSAPI\" "
                                           "(PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER)"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(tls_and_sasl_map_to_librdkafka_properties) {
  const std::string sections = cluster +
                               "[tls.ca]\ncafile = \"/pki/ca.pem\"\n"
                               "[tls.mutual]\ncafile = \"/pki/ca.pem\"\ncertfile = \"/pki/c.pem\"\nkeyfile = \"/pki/c.key\"\n"
                               "[tls.trusting]\nnoverify = true\n"
                               "[sasl.scram]\nmechanism = \"scram-sha-512\"\nusername = \"u\"\npassword = \"p\"\n"
                               "[sasl.jwt]\nmechanism = \"OAUTHBEARER\"\nusername = \"warren\"\n"
                               "[client-profile.tls]\ntls = \"ca\"\n"
                               "[client-profile.mtls]\ntls = \"mutual\"\n"
                               "[client-profile.noverify]\ntls = \"trusting\"\n"
                               "[client-profile.sasl-ssl]\ntls = \"ca\"\nsasl = \"scram\"\n"
                               "[client-profile.sasl-plain]\nsasl = \"scram\"\n"
                               "[client-profile.oauth]\ntls = \"ca\"\nsasl = \"jwt\"\n";
  auto tls = properties(sections, "tls");
  BOOST_TEST(tls.at("security.protocol") == "ssl");
  BOOST_TEST(tls.at("ssl.ca.location") == "/pki/ca.pem");
  BOOST_TEST(!tls.contains("ssl.certificate.location"));
  BOOST_TEST(!tls.contains("enable.ssl.certificate.verification"));  // librdkafka verifies by default

  auto mtls = properties(sections, "mtls");
  BOOST_TEST(mtls.at("ssl.certificate.location") == "/pki/c.pem");
  BOOST_TEST(mtls.at("ssl.key.location") == "/pki/c.key");

  auto noverify = properties(sections, "noverify");
  BOOST_TEST(noverify.at("enable.ssl.certificate.verification") == "false");
  BOOST_TEST(noverify.at("ssl.endpoint.identification.algorithm") == "none");

  auto sasl_ssl = properties(sections, "sasl-ssl");
  BOOST_TEST(sasl_ssl.at("security.protocol") == "sasl_ssl");
  BOOST_TEST(sasl_ssl.at("sasl.mechanisms") == "SCRAM-SHA-512");
  BOOST_TEST(sasl_ssl.at("sasl.username") == "u");
  BOOST_TEST(sasl_ssl.at("sasl.password") == "p");
  BOOST_TEST(properties(sections, "sasl-plain").at("security.protocol") == "sasl_plaintext");

  auto oauth = properties(sections, "oauth");
  BOOST_TEST(oauth.at("security.protocol") == "sasl_ssl");
  BOOST_TEST(oauth.at("sasl.mechanisms") == "OAUTHBEARER");
  BOOST_TEST(oauth.at("enable.sasl.oauthbearer.unsecure.jwt") == "true");
  BOOST_TEST(oauth.at("sasl.oauthbearer.config") == "principal=warren");
  BOOST_TEST(!oauth.contains("sasl.username"));

  BOOST_TEST(properties(cluster, "").at("security.protocol") == "plaintext");
}

BOOST_AUTO_TEST_CASE(connection_failures_are_classified) {
  using kafka::connect_failure;
  using kafka::classify_failure;
  BOOST_TEST((classify_failure("sasl_ssl://127.0.0.1:4/bootstrap: SASL authentication error: Authentication failed "
                               "during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256 "
                               "(after 5ms in state AUTH_REQ)") == connect_failure::authentication));
  BOOST_TEST((classify_failure("ssl://127.0.0.1:4/bootstrap: SSL handshake failed: error:0A000086:SSL routines::"
                               "certificate verify failed: broker certificate could not be verified") ==
              connect_failure::certificate));
  BOOST_TEST((classify_failure("ssl://127.0.0.1:4/bootstrap: SSL transport error: error:0A000415:SSL routines::"
                               "sslv3 alert certificate expired") == connect_failure::certificate));
  BOOST_TEST((classify_failure("ssl://127.0.0.1:4/bootstrap: SSL handshake failed: error:0A00010B:SSL routines::"
                               "wrong version number") == connect_failure::tls));
  BOOST_TEST((classify_failure("127.0.0.1:4/bootstrap: Connect to ipv4#127.0.0.1:4 failed: Connection refused") ==
              connect_failure::none));
  BOOST_TEST((classify_failure("1/1 brokers are down") == connect_failure::none));
}

BOOST_AUTO_TEST_CASE(a_failure_is_reported_once_per_outage_then_reminded) {
  using kafka::connect_failure;
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  const std::string c = "unit-report-once";
  const auto report = [&](connect_failure k, clock::duration at) {
    return kafka::report_connect_failure(c, k, "sasl_ssl://x/bootstrap: SASL authentication error", t0 + at,
                                         std::chrono::seconds(60), std::chrono::seconds(300));
  };
  BOOST_TEST(report(connect_failure::authentication, std::chrono::seconds(0)));
  for (int i = 1; i < 30; ++i) BOOST_TEST(!report(connect_failure::authentication, std::chrono::seconds(i * 10)));
  BOOST_TEST(report(connect_failure::authentication, std::chrono::seconds(300)));  // the reminder, with a count
  BOOST_TEST(!report(connect_failure::authentication, std::chrono::seconds(310)));
  BOOST_TEST(report(connect_failure::certificate, std::chrono::seconds(311)));     // another kind: its own line
  BOOST_TEST(report(connect_failure::authentication, std::chrono::seconds(500)));  // after 60 s quiet: new outage
  BOOST_TEST(!report(connect_failure::none, std::chrono::seconds(501)));
}

BOOST_AUTO_TEST_SUITE_END()
