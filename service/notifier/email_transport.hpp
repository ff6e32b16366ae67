#pragma once
// email_transport: Burrow's `email` notifier class (reference §f) over SMTP through libcurl's easy
// interface, run on a blocking_pool thread (offload) so the io thread never waits. Port 465 is
// implicit TLS (smtps); any other port upgrades with STARTTLS when the server offers it, as gomail
// does. auth-type "plain" or "crammd5" with username/password; "" = no authentication. TLS
// verification uses the system roots plus extra-ca, or none with noverify. One SMTP connection
// per message. libcurl stays in the .cpp.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "service/notifier/sender.hpp"

namespace warren {
class blocking_pool;
struct notifier_module;
}  // namespace warren

namespace warren::notifier {

struct email_options {
  std::string server;
  int port = 25;
  std::string auth_type;  ///< "", "plain", "crammd5"
  std::string username, password;  // password: secret
  std::string from;
  std::vector<std::string> to;
  std::string extra_ca;
  bool noverify = false;
  std::chrono::milliseconds timeout{30000};  ///< whole SMTP session
};

email_options email_options_of(const notifier_module& m);

/// A header value that cannot end its header line: every run of CR and LF becomes one space (a
/// template that renders `x\r\nBcc: someone` into the Subject stays one Subject line; header
/// injection), other control characters but TAB are dropped, and leading/trailing blanks trimmed.
/// PURE.
std::string header_value(std::string_view v);

/// The message to send, from a rendered template in Burrow's convention: a first line
/// `Subject: …`, then optional `Content-Type: …` and `MIME-version: …` lines, then the body
/// (text/plain when no Content-Type). Adds From, To, Date (RFC 5322, UTC) and Message-ID; lines
/// end in CRLF. Every header value (the rendered ones and From/To from the config) goes through
/// header_value(). Returns nullopt with `why` when the output does not start with `Subject:`. PURE.
std::optional<std::string> build_email(std::string_view rendered, const email_options& o, std::int64_t now_ms,
                                       std::string_view message_id, std::string& why);

std::unique_ptr<transport> make_email_transport(blocking_pool& pool, email_options o);

}  // namespace warren::notifier
