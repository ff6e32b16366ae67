#include "service/notifier/email_transport.hpp"

#include <curl/curl.h>

#include <atomic>
#include <cstring>
#include <cctype>
#include <ctime>
#include <fstream>
#include <sstream>

#include "service/config/config.hpp"
#include "service/core/offload.hpp"

namespace warren::notifier {

email_options email_options_of(const notifier_module& m) {
  email_options o;
  o.server = m.server;
  o.port = m.port;
  o.auth_type = m.auth_type;
  o.username = m.username;
  o.password = m.password;
  o.from = m.from;
  std::string item;
  for (char c : m.to + ",") {
    if (c == ',') {
      auto b = item.find_first_not_of(" \t");
      auto e = item.find_last_not_of(" \t");
      if (b != std::string::npos) o.to.push_back(item.substr(b, e - b + 1));
      item.clear();
    } else {
      item += c;
    }
  }
  o.extra_ca = m.extra_ca;
  o.noverify = m.noverify;
  return o;
}

namespace {

bool starts_with_ci(std::string_view line, std::string_view prefix) {
  if (line.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

std::string rfc5322_date(std::int64_t now_ms) {
  std::time_t t = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

}  // namespace

std::string header_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  bool in_break = false;
  for (char ch : v) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\r' || c == '\n') {
      if (!in_break) out += ' ';
      in_break = true;
      continue;
    }
    in_break = false;
    if ((c < 0x20 && c != '\t') || c == 0x7f) continue;
    out += ch;
  }
  return trim(out);
}

std::optional<std::string> build_email(std::string_view rendered, const email_options& o, std::int64_t now_ms,
                                       std::string_view message_id, std::string& why) {
  // Burrow's email templates: a "Subject:" first line, then optional Content-Type and
  // MIME-version lines, then the body.
  std::string subject, content_type = "text/plain; charset=UTF-8", mime = "1.0";
  std::size_t pos = 0;
  bool got_subject = false;
  while (pos < rendered.size()) {
    auto nl = rendered.find('\n', pos);
    std::size_t next = nl == std::string_view::npos ? rendered.size() : nl + 1;
    std::string_view line = rendered.substr(pos, (nl == std::string_view::npos ? rendered.size() : nl) - pos);
    if (!got_subject) {
      // Leading blank lines (a template starting with a comment and a newline) are skipped.
      if (trim(line).empty()) {
        pos = next;
        continue;
      }
      if (!starts_with_ci(line, "Subject:")) break;
      subject = header_value(line.substr(8));
      got_subject = true;
    } else if (starts_with_ci(line, "Content-Type:")) {
      content_type = header_value(line.substr(13));
    } else if (starts_with_ci(line, "MIME-version:")) {
      mime = header_value(line.substr(13));
    } else {
      break;
    }
    pos = next;
  }
  if (!got_subject) {
    why = "the rendered email template does not start with a \"Subject:\" line";
    return std::nullopt;
  }
  std::string_view body = rendered.substr(pos);
  if (auto nl = body.find('\n'); nl != std::string_view::npos && trim(body.substr(0, nl)).empty())
    body.remove_prefix(nl + 1);  // the blank separator line, if the template has one

  std::string to;
  for (const auto& t : o.to) to += (to.empty() ? "" : ", ") + t;
  std::string out;
  out += "Date: " + rfc5322_date(now_ms) + "\r\n";
  out += "From: " + header_value(o.from) + "\r\n";
  out += "To: " + header_value(to) + "\r\n";
  out += "Message-ID: <" + header_value(message_id) + ">\r\n";
  out += "Subject: " + subject + "\r\n";
  out += "MIME-Version: " + mime + "\r\n";
  out += "Content-Type: " + content_type + "\r\n";
  out += "Content-Transfer-Encoding: 8bit\r\n\r\n";
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r')) out += "\r\n";
    else out += body[i];
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

namespace {

// libcurl's global state is set up once, on first use, before any transfer (the io thread
// constructs transports before the pool runs any of them).
void curl_init_once() {
  static const bool done = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)done;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class email_transport final : public transport {
 public:
  email_transport(blocking_pool& pool, email_options o) : pool_(pool), o_(std::move(o)) {
    curl_init_once();
    if (!o_.extra_ca.empty()) {
      // extra-ca is added to the system roots: hand curl both as one PEM blob.
      const auto* info = curl_version_info(CURLVERSION_NOW);
      std::string system = info && info->cainfo ? read_file(info->cainfo) : read_file("/etc/ssl/certs/ca-certificates.crt");
      ca_blob_ = system + "\n" + read_file(o_.extra_ca);
    }
  }

  std::string describe(const notification&) const override {
    return (o_.port == 465 ? "smtps://" : "smtp://") + o_.server + ":" + std::to_string(o_.port);
  }

  void cancel() override { abort_->store(true); }

  task<delivery> deliver(const notification& n) override {
    abort_->store(false);
    std::string why;
    auto message = build_email(n.body, o_, std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count(),
                               (n.at.id.empty() ? std::string("warren") : n.at.id) + "." +
                                   std::to_string(++sequence_) + "@warren",
                               why);
    if (!message) co_return delivery{false, false, why};
    // The job owns copies of everything it reads: it runs on a pool thread.
    auto job = [o = o_, msg = std::move(*message), ca = ca_blob_, abort = abort_]() { return send(o, msg, ca, *abort); };
    co_return co_await pool_.offload(std::move(job));
  }

 private:
  struct reader {
    const std::string* data;
    std::size_t pos = 0;
  };

  static std::size_t read_cb(char* buf, std::size_t size, std::size_t n, void* user) {
    auto* r = static_cast<reader*>(user);
    std::size_t take = std::min(size * n, r->data->size() - r->pos);
    std::memcpy(buf, r->data->data() + r->pos, take);
    r->pos += take;
    return take;
  }

  static int progress_cb(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<std::atomic<bool>*>(user)->load() ? 1 : 0;
  }

  // Pool thread: one SMTP session.
  static delivery send(const email_options& o, const std::string& msg, const std::string& ca,
                       std::atomic<bool>& abort) {
    CURL* c = curl_easy_init();
    if (!c) return {false, true, "curl_easy_init failed"};
    char err[CURL_ERROR_SIZE] = {};
    reader r{&msg};
    std::string url = (o.port == 465 ? "smtps://" : "smtp://") + o.server + ":" + std::to_string(o.port);
    curl_slist* rcpt = nullptr;
    for (const auto& t : o.to) rcpt = curl_slist_append(rcpt, ("<" + t + ">").c_str());
    std::string from = "<" + o.from + ">";
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, &read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &r);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout.count()));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.timeout.count()));
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &progress_cb);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &abort);
    // gomail: STARTTLS when the server offers it (port 465 is implicit TLS through smtps://).
    if (o.port != 465) curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
    if (o.noverify) {
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (!ca.empty()) {
      curl_blob blob{const_cast<char*>(ca.data()), ca.size(), CURL_BLOB_NOCOPY};
      curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
    }
    if (!o.auth_type.empty()) {
      curl_easy_setopt(c, CURLOPT_USERNAME, o.username.c_str());
      curl_easy_setopt(c, CURLOPT_PASSWORD, o.password.c_str());
      curl_easy_setopt(c, CURLOPT_LOGIN_OPTIONS, o.auth_type == "crammd5" ? "AUTH=CRAM-MD5" : "AUTH=PLAIN");
    }
    CURLcode rc = curl_easy_perform(c);
    long smtp_code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &smtp_code);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(c);
    if (rc == CURLE_OK) return {true, false, {}};
    std::string what = err[0] ? std::string(err) : std::string(curl_easy_strerror(rc));
    if (smtp_code) what += " (SMTP " + std::to_string(smtp_code) + ")";
    // A rejected login or a permanent (5xx) refusal will not get better by retrying.
    bool retryable = rc != CURLE_LOGIN_DENIED && !(smtp_code >= 500 && smtp_code < 600);
    return {false, retryable, what};
  }

  blocking_pool& pool_;
  email_options o_;
  std::string ca_blob_;
  std::uint64_t sequence_ = 0;
  // The thread boundary: the io thread sets it (cancel), the pool thread's transfer reads it.
  std::shared_ptr<std::atomic<bool>> abort_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace

std::unique_ptr<transport> make_email_transport(blocking_pool& pool, email_options o) {
  return std::make_unique<email_transport>(pool, std::move(o));
}

}  // namespace warren::notifier
