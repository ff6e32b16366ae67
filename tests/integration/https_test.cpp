// HTTPS and WSS on the real binary, with a CA and certificates made by `openssl` in the test
// (tests/support/tls_pki.hpp), and Warren's API tokens end to end: TLS 1.2+ only, the server
// certificate verifies against the test CA, a wrong CA and plain HTTP on the TLS port fail, mutual
// TLS accepts only client certificates of the configured CA, /v3/stream upgrades over TLS need
// the read token, and no secret shows in /v3/config, error bodies or the log. No broker is needed:
// the cluster points at a closed loopback port (Warren serves its API regardless).
#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/test/unit_test.hpp>
#include <memory>
#include <string>

#include "tests/support/http_client.hpp"
#include "tests/support/tls_pki.hpp"
#include "tests/support/warren_process.hpp"

namespace warren::test {
namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;

const std::string read_token = "r3ad-s3cret-value";
const std::string metrics_token = "scr4pe-s3cret-value";
const std::string admin_token = "adm1n-s3cret-value";

struct https_env {
  test_pki pki = make_test_pki();
  std::uint16_t https_port = free_port();
  std::uint16_t mtls_port = free_port();
  std::unique_ptr<warren_process> w;

  https_env() {
    const std::string closed = "127.0.0.1:" + std::to_string(free_port());
    w = std::make_unique<warren_process>(
        cluster_config("local", closed) + "[tls.web]\ncertfile = \"" + pki.server_cert.string() + "\"\nkeyfile = \"" +
        pki.server_key.string() + "\"\ncafile = \"" + pki.ca_cert.string() + "\"\n\n[httpserver.secure]\naddress = \"127.0.0.1:" +
        std::to_string(https_port) + "\"\ntls = \"web\"\n\n[httpserver.mutual]\naddress = \"127.0.0.1:" +
        std::to_string(mtls_port) + "\"\ntls = \"web\"\nrequire-client-cert = true\n\n[warren]\nread-token = \"" +
        read_token + "\"\nmetrics-token = \"" + metrics_token + "\"\nadmin-token = \"" + admin_token + "\"\n");
  }
  tls_client_options client() const { return {.ca_file = pki.ca_cert.string()}; }
  tls_client_options client_with_cert() const {
    return {.ca_file = pki.ca_cert.string(), .cert_file = pki.client_cert.string(), .key_file = pki.client_key.string()};
  }
};
https_env* env = nullptr;
struct https_fixture {
  https_fixture() { env = new https_env(); }
  ~https_fixture() {
    delete env;
    env = nullptr;
  }
};

std::map<std::string, std::string> bearer(const std::string& t) { return {{"Authorization", "Bearer " + t}}; }

// Opens wss://localhost:port/v3/stream (verified against `ca`) and returns the first message.
std::string wss_first_message(std::uint16_t port, const std::string& ca, const std::string& token) {
  asio::io_context ioc;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_verify_mode(asio::ssl::verify_peer);
  ctx.load_verify_file(ca);
  beast::websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(ioc, ctx);
  beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(10));
  beast::get_lowest_layer(ws).connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  SSL_set_tlsext_host_name(ws.next_layer().native_handle(), "localhost");
  ws.next_layer().set_verify_callback(asio::ssl::host_name_verification("localhost"));
  ws.next_layer().handshake(asio::ssl::stream_base::client);
  ws.set_option(beast::websocket::stream_base::decorator([token](beast::websocket::request_type& req) {
    req.set(beast::http::field::sec_websocket_protocol, "warren.v1");
    if (!token.empty()) req.set(beast::http::field::authorization, "Bearer " + token);
  }));
  beast::websocket::response_type res;
  beast::error_code ec;
  ws.handshake(res, "localhost", "/v3/stream", ec);
  if (ec) return "handshake failed: " + std::to_string(res.result_int()) + " " + res.body() + " " + ec.message();
  beast::flat_buffer buf;
  ws.read(buf);
  std::string first = beast::buffers_to_string(buf.data());
  ws.close(beast::websocket::close_code::normal, ec);
  return first;
}

BOOST_AUTO_TEST_SUITE(https, *boost::unit_test::fixture<https_fixture>())

BOOST_AUTO_TEST_CASE(https_serves_the_api_with_a_certificate_of_the_test_ca) {
  auto good = https_call(env->https_port, env->client(), "GET", "/burrow/admin");
  BOOST_TEST(good.status == 200u);
  BOOST_TEST(good.body == "GOOD");
  auto denied = https_call(env->https_port, env->client(), "GET", "/v3/kafka");
  BOOST_TEST(denied.status == 401u, denied.body);
  BOOST_TEST(denied.headers["www-authenticate"] == "Bearer realm=\"warren\"");
  auto list = https_call(env->https_port, env->client(), "GET", "/v3/kafka", "", bearer(read_token));
  BOOST_TEST(list.status == 200u, list.body);
  BOOST_TEST(list.body.find("\"local\"") != std::string::npos, list.body);
  auto metrics = https_call(env->https_port, env->client(), "GET", "/metrics", "", bearer(metrics_token));
  BOOST_TEST(metrics.status == 200u);
  BOOST_TEST(metrics.body.find("warren_http_connections_refused_total{listener=\"secure\"} 0") != std::string::npos);
  BOOST_TEST(https_call(env->https_port, env->client(), "GET", "/metrics", "", bearer(read_token)).status == 401u);
}

BOOST_AUTO_TEST_CASE(curl_verifies_the_server_with_the_ca_file) {
  const auto out = env->pki.dir / "curl.out";
  child_process curl({"curl", "-sS", "--max-time", "10", "--cacert", env->pki.ca_cert.string(), "--resolve",
                      "localhost:" + std::to_string(env->https_port) + ":127.0.0.1",
                      "https://localhost:" + std::to_string(env->https_port) + "/burrow/admin"},
                     out);
  auto status = curl.wait_for(std::chrono::seconds(20));
  BOOST_TEST((status && *status == 0), curl.output());
  BOOST_TEST(curl.output() == "GOOD");
}

BOOST_AUTO_TEST_CASE(wrong_ca_old_tls_and_plain_http_are_refused) {
  tls_client_options wrong_ca{.ca_file = env->pki.other_ca_cert.string()};
  BOOST_CHECK_EXCEPTION(https_call(env->https_port, wrong_ca, "GET", "/burrow/admin"), std::runtime_error,
                        [](const std::runtime_error& e) {
                          return std::string(e.what()).find("certificate verify failed") != std::string::npos;
                        });
  tls_client_options old = env->client();
  old.max_version = TLS1_1_VERSION;
  BOOST_CHECK_THROW(https_call(env->https_port, old, "GET", "/burrow/admin"), std::runtime_error);
  // Plain HTTP to the TLS port gets no HTTP answer.
  bool answered = false;
  try {
    answered = http_call(env->https_port, "GET", "/burrow/admin", {}, {}, std::chrono::seconds(15)).status == 200u;
  } catch (const std::runtime_error&) {
  }
  BOOST_TEST(!answered);
  BOOST_TEST(env->w->get("/burrow/admin").body == "GOOD");  // and the plain listener is fine
}

BOOST_AUTO_TEST_CASE(mutual_tls_needs_a_client_certificate_of_the_ca) {
  auto with_cert = https_call(env->mtls_port, env->client_with_cert(), "GET", "/burrow/admin");
  BOOST_TEST(with_cert.body == "GOOD");
  BOOST_CHECK_THROW(https_call(env->mtls_port, env->client(), "GET", "/burrow/admin"), std::runtime_error);
  tls_client_options stranger{.ca_file = env->pki.ca_cert.string(),
                              .cert_file = env->pki.other_client_cert.string(),
                              .key_file = env->pki.other_client_key.string()};
  BOOST_CHECK_THROW(https_call(env->mtls_port, stranger, "GET", "/burrow/admin"), std::runtime_error);
  // The one-way TLS listener asks for no certificate, and ignores one offered.
  BOOST_TEST(https_call(env->https_port, env->client_with_cert(), "GET", "/burrow/admin").body == "GOOD");
}

BOOST_AUTO_TEST_CASE(wss_stream_over_tls_needs_the_read_token) {
  auto hello = wss_first_message(env->https_port, env->pki.ca_cert.string(), read_token);
  BOOST_TEST(hello.find("\"hello\"") != std::string::npos, hello);
  auto denied = wss_first_message(env->https_port, env->pki.ca_cert.string(), "");
  BOOST_TEST(denied.rfind("handshake failed: 401", 0) == 0u, denied);
  auto wrong = wss_first_message(env->https_port, env->pki.ca_cert.string(), "nope");
  BOOST_TEST(wrong.rfind("handshake failed: 401", 0) == 0u, wrong);
  BOOST_TEST(denied.find(read_token) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(secrets_never_show_in_config_errors_or_the_log) {
  auto cfg = https_call(env->https_port, env->client(), "GET", "/v3/config", "", bearer(admin_token));
  BOOST_TEST(cfg.status == 200u, cfg.body);
  auto wrong = https_call(env->https_port, env->client(), "DELETE", "/v3/kafka/local/consumer/g", "",
                          bearer(read_token));
  BOOST_TEST(wrong.status == 401u);
  auto level = https_call(env->https_port, env->client(), "POST", "/v3/admin/loglevel", R"({"level":"debug"})",
                          bearer(admin_token));
  BOOST_TEST(level.status == 200u, level.body);
  // Debug logging on: requests with tokens (good and bad) still leave no secret in the log.
  https_call(env->https_port, env->client(), "GET", "/v3/kafka", "", bearer(read_token));
  https_call(env->https_port, env->client(), "GET", "/v3/kafka", "", bearer(read_token + "x"));
  https_call(env->https_port, env->client(), "POST", "/v3/admin/loglevel", R"({"level":"info"})", bearer(admin_token));
  const auto log = env->w->output();
  for (const auto& secret : {read_token, metrics_token, admin_token}) {
    BOOST_TEST(cfg.body.find(secret) == std::string::npos, secret);
    BOOST_TEST(wrong.body.find(secret) == std::string::npos, secret);
    BOOST_TEST(log.find(secret) == std::string::npos, secret);
  }
}

BOOST_AUTO_TEST_CASE(a_missing_certificate_is_a_config_error_naming_the_file) {
  const auto missing = env->pki.dir / "no-such-cert.pem";
  const auto path = write_temp_file(
      "warren.toml", cluster_config("local", "127.0.0.1:9") + "[tls.web]\ncertfile = \"" + missing.string() +
                         "\"\nkeyfile = \"" + env->pki.server_key.string() +
                         "\"\n[httpserver.secure]\naddress = \"127.0.0.1:0\"\ntls = \"web\"\n");
  auto r = run_warren({"--config", path.string(), "--check-config"});
  BOOST_TEST(r.exit_code == 2, r.output);
  BOOST_TEST(r.output.find("tls.web.certfile: cannot read certificate " + missing.string() + ": No such file or directory") != std::string::npos,
             r.output);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace warren::test
