// Warren's API tokens (http/auth.hpp): which class each request falls in, the Bearer scheme parsed
// case-insensitively, constant-time comparison, and which token grants which class.
#include <boost/test/unit_test.hpp>

#include <string>

#include "service/http/auth.hpp"

namespace warren::http {
namespace {

BOOST_AUTO_TEST_SUITE(http_auth)

BOOST_AUTO_TEST_CASE(requests_fall_in_their_access_class) {
  BOOST_TEST((access_for("GET", "/burrow/admin") == access::open));
  BOOST_TEST((access_for("GET", "/burrow/admin/ready") == access::open));
  BOOST_TEST((access_for("HEAD", "/burrow/admin") == access::open));
  BOOST_TEST((access_for("GET", "/metrics") == access::metrics));
  BOOST_TEST((access_for("GET", "/v3/kafka") == access::read));
  BOOST_TEST((access_for("GET", "/v3/stream") == access::read));
  BOOST_TEST((access_for("HEAD", "/v3/config") == access::read));
  BOOST_TEST((access_for("DELETE", "/v3/kafka/:cluster/consumer/:consumer") == access::admin));
  BOOST_TEST((access_for("POST", "/v3/admin/loglevel") == access::admin));
  BOOST_TEST((access_for("POST", "/burrow/admin") == access::admin));  // only reads of the probes are open
}

BOOST_AUTO_TEST_CASE(bearer_scheme_is_case_insensitive_and_needs_a_token) {
  BOOST_TEST(bearer_token("Bearer abc") == "abc");
  BOOST_TEST(bearer_token("bearer abc") == "abc");
  BOOST_TEST(bearer_token("BEARER abc") == "abc");
  BOOST_TEST(bearer_token("Bearer    abc  ") == "abc");
  BOOST_TEST(bearer_token("Bearer").empty());
  BOOST_TEST(bearer_token("Bearer ").empty());
  BOOST_TEST(bearer_token("Bearerabc").empty());
  BOOST_TEST(bearer_token("Basic YWxhZGRpbjpvcGVuc2VzYW1l").empty());
  BOOST_TEST(bearer_token("").empty());
}

BOOST_AUTO_TEST_CASE(constant_time_equal_compares_contents_and_lengths) {
  BOOST_TEST(constant_time_equal("t0ken", "t0ken"));
  BOOST_TEST(!constant_time_equal("t0ke", "t0ken"));
  BOOST_TEST(!constant_time_equal("t0kenX", "t0ken"));
  BOOST_TEST(!constant_time_equal("t0kem", "t0ken"));
  BOOST_TEST(!constant_time_equal("", "t0ken"));
  BOOST_TEST(constant_time_equal(std::string("a\0b", 3), std::string("a\0b", 3)));
  BOOST_TEST(!constant_time_equal(std::string("a\0c", 3), std::string("a\0b", 3)));
}

BOOST_AUTO_TEST_CASE(no_tokens_means_everything_is_open) {
  const api_tokens none;
  for (auto a : {access::open, access::read, access::metrics, access::admin}) BOOST_TEST(authorized(none, a, ""));
}

BOOST_AUTO_TEST_CASE(admin_token_guards_writes_only) {
  const api_tokens t{.admin = "adm"};
  BOOST_TEST(!authorized(t, access::admin, ""));
  BOOST_TEST(!authorized(t, access::admin, "Bearer nope"));
  BOOST_TEST(authorized(t, access::admin, "Bearer adm"));
  BOOST_TEST(authorized(t, access::admin, "bearer adm"));
  BOOST_TEST(authorized(t, access::read, ""));  // reads stay open, as before read-token existed
  BOOST_TEST(authorized(t, access::metrics, ""));
}

BOOST_AUTO_TEST_CASE(read_token_guards_reads_and_metrics_and_writes_without_admin_token) {
  const api_tokens t{.read = "rd"};
  BOOST_TEST(authorized(t, access::open, ""));
  BOOST_TEST(!authorized(t, access::read, ""));
  BOOST_TEST(!authorized(t, access::read, "Bearer rdx"));
  BOOST_TEST(authorized(t, access::read, "Bearer rd"));
  BOOST_TEST(!authorized(t, access::metrics, ""));
  BOOST_TEST(authorized(t, access::metrics, "Bearer rd"));
  BOOST_TEST(!authorized(t, access::admin, ""));
  BOOST_TEST(authorized(t, access::admin, "Bearer rd"));  // no admin-token: writes need the read token
}

BOOST_AUTO_TEST_CASE(metrics_token_replaces_read_token_on_metrics_and_admin_token_grants_all) {
  const api_tokens t{.admin = "adm", .read = "rd", .metrics = "met"};
  BOOST_TEST(authorized(t, access::metrics, "Bearer met"));
  BOOST_TEST(!authorized(t, access::metrics, "Bearer rd"));
  BOOST_TEST(authorized(t, access::metrics, "Bearer adm"));
  BOOST_TEST(!authorized(t, access::read, "Bearer met"));
  BOOST_TEST(authorized(t, access::read, "Bearer adm"));
  BOOST_TEST(!authorized(t, access::admin, "Bearer rd"));
  BOOST_TEST(!authorized(t, access::admin, "Bearer met"));
  BOOST_TEST(authorized(t, access::admin, "Bearer adm"));
}

BOOST_AUTO_TEST_CASE(messages_name_the_missing_token_never_its_value) {
  BOOST_TEST(unauthorized_message(access::admin) == "admin token required");
  BOOST_TEST(unauthorized_message(access::read) == "read token required");
  BOOST_TEST(unauthorized_message(access::metrics) == "metrics token required");
  BOOST_TEST(www_authenticate == "Bearer realm=\"warren\"");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace warren::http
