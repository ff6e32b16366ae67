// The email message the notifier builds from a rendered template (Burrow's `Subject:` convention),
// and header injection: no value rendered from a template (Subject, Content-Type, MIME-version)
// or taken from the config (From, To, http headers) can end its header line.
#include <boost/test/unit_test.hpp>

#include <string>

#include "service/notifier/email_transport.hpp"
#include "service/notifier/http_transport.hpp"

namespace warren::notifier {
namespace {

email_options options() {
  email_options o;
  o.server = "127.0.0.1";
  o.from = "warren@example.com";
  o.to = {"ops@example.com", "oncall@example.com"};
  return o;
}

std::string built(const std::string& rendered, const email_options& o = options()) {
  std::string why;
  auto m = build_email(rendered, o, 1'700'000'000'000, "id.1@warren", why);
  BOOST_TEST_REQUIRE(m.has_value(), why);
  return *m;
}

// Header lines of a built message (up to the blank line), each without its CRLF.
std::vector<std::string> header_lines(const std::string& msg) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  for (;;) {
    auto crlf = msg.find("\r\n", pos);
    BOOST_TEST_REQUIRE(crlf != std::string::npos);
    if (crlf == pos) return out;
    out.push_back(msg.substr(pos, crlf - pos));
    pos = crlf + 2;
  }
}

std::size_t count_prefix(const std::vector<std::string>& lines, const std::string& prefix) {
  std::size_t n = 0;
  for (const auto& l : lines) n += l.rfind(prefix, 0) == 0;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(notifier_email)

BOOST_AUTO_TEST_CASE(header_value_turns_line_breaks_into_one_space_and_drops_controls) {
  BOOST_TEST(header_value("plain subject") == "plain subject");
  BOOST_TEST(header_value("a\r\nBcc: victim@example.com") == "a Bcc: victim@example.com");
  BOOST_TEST(header_value("a\nb\rc\r\n\r\nd") == "a b c d");
  BOOST_TEST(header_value("tab\tkept, bell\a and nul") == "tab\tkept, bell and nul");
  BOOST_TEST(header_value(std::string("x\0y", 3)) == "xy");
  BOOST_TEST(header_value("  trimmed \r\n") == "trimmed");
  BOOST_TEST(header_value("\r\n") == "");
  BOOST_TEST(header_value("caf\xc3\xa9") == "caf\xc3\xa9");  // UTF-8 untouched
}

BOOST_AUTO_TEST_CASE(burrow_subject_convention_builds_headers_then_body) {
  auto msg = built("Subject: [Burrow] Kafka Consumer Error on local\nthe body\nline two\n");
  auto h = header_lines(msg);
  BOOST_TEST(count_prefix(h, "Subject: [Burrow] Kafka Consumer Error on local") == 1u);
  BOOST_TEST(count_prefix(h, "From: warren@example.com") == 1u);
  BOOST_TEST(count_prefix(h, "To: ops@example.com, oncall@example.com") == 1u);
  BOOST_TEST(count_prefix(h, "Content-Type: text/plain; charset=UTF-8") == 1u);
  BOOST_TEST(count_prefix(h, "Date: Tue, 14 Nov 2023 22:13:20 +0000") == 1u);
  BOOST_TEST(msg.substr(msg.find("\r\n\r\n") + 4) == "the body\r\nline two\r\n");

  auto html = built("Subject: s\nContent-Type: text/html\nMIME-version: 1.0\n\n<p>x</p>");
  BOOST_TEST(count_prefix(header_lines(html), "Content-Type: text/html") == 1u);
  BOOST_TEST(html.substr(html.find("\r\n\r\n") + 4) == "<p>x</p>\r\n");

  std::string why;
  BOOST_TEST(!build_email("no subject line\n", options(), 0, "x", why).has_value());
  BOOST_TEST(why.find("Subject:") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_rendered_subject_with_cr_or_lf_cannot_add_headers) {
  // What a template renders from an attacker-chosen group name: `{{.Group}}` = "g\rBcc: x".
  // The template's own line breaks end the Subject line; a lone CR inside it must not.
  for (std::string evil : {"Subject: lag on g\rBcc: victim@example.com\nbody\n",
                           "Subject: lag on g\r\rX-Injected: 1\r\nbody\n"}) {
    auto msg = built(evil);
    auto h = header_lines(msg);
    BOOST_TEST(count_prefix(h, "Bcc:") == 0u, msg);
    BOOST_TEST(count_prefix(h, "X-Injected:") == 0u, msg);
    BOOST_TEST(count_prefix(h, "Subject: lag on g ") == 1u, msg);
    for (const auto& line : h) BOOST_TEST(line.find_first_of("\r\n") == std::string::npos, line);
  }
  // Content-Type and MIME-version lines are header values too.
  auto msg = built("Subject: s\nContent-Type: text/plain\rBcc: victim@example.com\nMIME-version: 1.0\rX: y\nbody");
  auto h = header_lines(msg);
  BOOST_TEST(count_prefix(h, "Bcc:") == 0u, msg);
  BOOST_TEST(count_prefix(h, "X:") == 0u, msg);
  BOOST_TEST(count_prefix(h, "Content-Type: text/plain Bcc: victim@example.com") == 1u, msg);
}

BOOST_AUTO_TEST_CASE(config_from_and_to_cannot_add_headers_either) {
  auto o = options();
  o.from = "warren@example.com\r\nBcc: victim@example.com";
  o.to = {"ops@example.com\nX-Injected: 1"};
  auto h = header_lines(built("Subject: s\nbody", o));
  BOOST_TEST(count_prefix(h, "Bcc:") == 0u);
  BOOST_TEST(count_prefix(h, "X-Injected:") == 0u);
  BOOST_TEST(count_prefix(h, "From: warren@example.com Bcc: victim@example.com") == 1u);
}

BOOST_AUTO_TEST_CASE(a_rendered_url_with_cr_or_lf_is_not_a_url) {
  // url-open/-close are templates: a group name with CR/LF must not split the request line.
  BOOST_TEST(url_origin("http://127.0.0.1:8080/open/ok") == "http://127.0.0.1:8080");
  BOOST_TEST(url_origin("http://127.0.0.1:8080/open/g\r\nX-Injected: 1") == "(invalid URL)");
  BOOST_TEST(url_origin("http://127.0.0.1:8080/open/g\nHost: evil") == "(invalid URL)");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace warren::notifier
