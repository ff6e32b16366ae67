#pragma once
// smtp_sink: Debian's python3-aiosmtpd (tests/support/smtp_sink.py) on a loopback port the kernel
// picks, recording every accepted message for email notifier tests; optionally requiring STARTTLS
// and AUTH (PLAIN, LOGIN or CRAM-MD5). Construction waits (with a
// deadline) until the sink listens; destruction stops it and removes its directory. Test code,
// any thread.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/kafka_harness.hpp"
#include "tests/support/process_files.hpp"

namespace warren::test {

struct smtp_sink_options {
  std::string auth;                   ///< "USER:PASSWORD": AUTH required with those credentials; "" = none
  std::filesystem::path tls_cert, tls_key;  ///< set: STARTTLS offered and required before MAIL (and AUTH)
};

class smtp_sink {
 public:
  struct message {
    std::string from;               ///< MAIL FROM
    std::vector<std::string> to;    ///< RCPT TO
    std::string login;              ///< the AUTH user ("" without AUTH)
    std::string mechanism;          ///< the AUTH mechanism ("PLAIN", "LOGIN", "CRAM-MD5"; "" without AUTH)
    bool tls = false;               ///< the message came after STARTTLS
    std::string raw;                ///< the DATA as received (CRLF line ends)
    std::map<std::string, std::string> headers;  ///< names lower-cased, unfolded
    std::string body;               ///< after the blank line, CRLF turned into LF
  };

  /// `auth` = "USER:PASSWORD" requires AUTH PLAIN/LOGIN with those credentials; "" = no AUTH.
  explicit smtp_sink(const std::string& auth = "", std::chrono::milliseconds deadline = std::chrono::seconds(20));
  explicit smtp_sink(const smtp_sink_options& options, std::chrono::milliseconds deadline = std::chrono::seconds(20));
  ~smtp_sink();
  smtp_sink(const smtp_sink&) = delete;
  smtp_sink& operator=(const smtp_sink&) = delete;

  std::uint16_t port() const { return port_; }
  /// Every complete message so far, in arrival order.
  std::vector<message> messages() const;
  std::size_t count() const;
  /// Waits until at least `n` messages arrived.
  bool wait_for(std::size_t n, std::chrono::milliseconds deadline) const;
  /// The sink's own output (aiosmtpd's log), for failure messages.
  std::string output() const { return child_ ? child_->output() : std::string(); }

  /// Splits one raw message (exposed for the parser's own checks).
  static message parse(const std::string& raw);

 private:
  temp_directory dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<child_process> child_;
};

}  // namespace warren::test
