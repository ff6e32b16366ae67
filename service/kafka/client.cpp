#include "service/kafka/client.hpp"

#include <librdkafka/rdkafka.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <mutex>
#include <utility>

#include "service/core/log.hpp"

namespace warren::kafka {

namespace {
// Per-client state of the log callback, the client's opaque. librdkafka calls the log callback from
// its own threads (several per client): the mutex serialises the filter; the logger itself is
// thread-safe, so lines are written after the lock is released.
struct log_context {
  std::string cluster;
  std::mutex mutex;
  rdkafka_log_filter filter;
  // The last authentication or TLS failure (guarded by mutex); kind none after other churn.
  connect_failure last_kind = connect_failure::none;
  std::string last_text;
  std::chrono::steady_clock::time_point last_at;
  void* owner = nullptr;  // set_client_owner: reached by the rebalance callback
};

void write_lines(const log_context* ctx, const char* client, const std::vector<rdkafka_log_filter::line>& lines) {
  for (const auto& l : lines) {
    if (ctx && !ctx->cluster.empty()) log(l.level, "librdkafka", "cluster ", ctx->cluster, ": ", client, " ", l.text);
    else log(l.level, "librdkafka", client, " ", l.text);
  }
}
}  // namespace

void handle_deleter::operator()(rd_kafka_s* rk) const noexcept {
  auto* ctx = static_cast<log_context*>(rd_kafka_opaque(rk));
  std::string client = rd_kafka_name(rk);
  rd_kafka_destroy(rk);  // joins librdkafka's threads: no log callback runs after this
  if (!ctx) return;
  try {
    write_lines(ctx, client.c_str(), ctx->filter.flush(std::chrono::steady_clock::now()));
  } catch (...) {  // a destructor path: losing a summary line is acceptable
  }
  delete ctx;
}
void queue_deleter::operator()(rd_kafka_queue_s* q) const noexcept { rd_kafka_queue_destroy(q); }
void partition_list_deleter::operator()(rd_kafka_topic_partition_list_s* l) const noexcept {
  rd_kafka_topic_partition_list_destroy(l);
}

namespace {
class rdkafka_category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "librdkafka"; }
  std::string message(int ev) const override { return rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(ev)); }
};
const rdkafka_category& category() {
  static const rdkafka_category c;
  return c;
}

bool contains_ci(std::string_view text, std::string_view what);
std::string_view without_suffix(std::string_view message);

// An authentication or TLS failure seen by one client: remembered for last_connect_failure, logged
// once per cluster (report_connect_failure).
void note_failure(log_context* ctx, const char* client, connect_failure kind, std::string_view text) {
  // "[thrd:ssl://127.0.0.1:9093/bootstrap]: ssl://127.0.0.1:9093/bootstrap: ...": the thread name
  // repeats the broker name that follows it.
  if (text.starts_with("[thrd:"))
    if (auto end = text.find("]: "); end != std::string_view::npos) text.remove_prefix(end + 3);
  const std::string clean(without_suffix(text));
  if (ctx) {
    std::lock_guard lock(ctx->mutex);
    ctx->last_kind = kind;
    ctx->last_text = clean;
    ctx->last_at = std::chrono::steady_clock::now();
  }
  report_connect_failure(ctx && !ctx->cluster.empty() ? ctx->cluster : std::string(client), kind, clean);
}

// librdkafka log lines arrive on its own threads (see log_context).
void log_callback(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  auto* ctx = static_cast<log_context*>(rd_kafka_opaque(rk));
  auto now = std::chrono::steady_clock::now();
  if (const auto kind = classify_failure(buf); kind != connect_failure::none) {
    note_failure(ctx, rd_kafka_name(rk), kind, buf);
    return;
  }
  if (ctx && std::string_view(fac) == "FAIL") {  // churn of another kind: the last failure is history
    std::lock_guard lock(ctx->mutex);
    ctx->last_kind = connect_failure::none;
  }
  std::vector<rdkafka_log_filter::line> lines;
  if (ctx) {
    std::lock_guard lock(ctx->mutex);
    lines = ctx->filter.on_log(level, fac, buf, now);
  } else {
    lines.push_back({rdkafka_log_level(level, fac, buf), std::string(fac) + ": " + buf});
  }
  write_lines(ctx, rd_kafka_name(rk), lines);
}

// Errors of a producer (its main queue is served by the background thread). Only authentication and
// TLS failures are reported here; other errors are the connection churn the FAIL log lines show.
void error_callback(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* ctx = static_cast<log_context*>(opaque);
  connect_failure kind = classify_failure(reason);
  if (kind == connect_failure::none && (err == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
                                        err == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED))
    kind = connect_failure::authentication;
  if (kind == connect_failure::none && err == RD_KAFKA_RESP_ERR__SSL) kind = connect_failure::tls;
  if (kind != connect_failure::none) note_failure(ctx, rd_kafka_name(rk), kind, reason);
}

// Keeps OpenSSL's verdict on each certificate of the broker's chain, and says why it failed
// ("certificate has expired", "unable to get local issuer certificate"): librdkafka logs that as
// "Certificate (subject=..., issuer=...) verification callback failed: REASON", where its handshake
// error alone says only "certificate verify failed".
int verify_callback(rd_kafka_t*, const char*, int32_t, int* x509_error, int depth, const char*, size_t, char* errstr,
                    size_t errstr_size, void*) {
  if (*x509_error == X509_V_OK) return 1;
  std::snprintf(errstr, errstr_size, "%s (OpenSSL verify error %d at chain depth %d)",
                X509_verify_cert_error_string(*x509_error), *x509_error, depth);
  return 0;
}

bool contains_ci(std::string_view text, std::string_view what) {
  auto it = std::search(text.begin(), text.end(), what.begin(), what.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it != text.end();
}

// librdkafka appends "(after 12ms in state UP, 3 identical error(s) suppressed)": not part of the kind.
std::string_view without_suffix(std::string_view message) {
  auto at = message.find(" (after ");
  return at == std::string_view::npos ? message : message.substr(0, at);
}

std::string seconds_text(std::chrono::steady_clock::duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + "s";
}
}  // namespace

connect_failure classify_failure(std::string_view text) {
  static constexpr std::string_view certificate[] = {
      "certificate verify failed", "certificate has expired", "certificate expired", "bad certificate",
      "unknown ca",                "certificate unknown",     "certificate required", "unsupported certificate",
      "certificate revoked",       "self-signed certificate", "self signed certificate", "local issuer certificate",
      "certificate could not be verified", "verification callback failed", "hostname mismatch",
      "ip address mismatch"};
  static constexpr std::string_view authentication[] = {
      "sasl authentication error", "authentication failed", "sasl scram", "sasl plain", "sasl oauthbearer",
      "invalid credentials", "saslauthenticate", "failed to acquire sasl", "sasl handshake failed",
      "unsupported sasl mechanism"};
  auto any = [&](const auto& list) {
    return std::any_of(std::begin(list), std::end(list), [&](std::string_view w) { return contains_ci(text, w); });
  };
  // Certificate first: "SSL handshake failed: ... certificate verify failed".
  if (any(certificate)) return connect_failure::certificate;
  if (any(authentication)) return connect_failure::authentication;
  if (contains_ci(text, "ssl handshake failed") || contains_ci(text, "ssl transport error") ||
      (contains_ci(text, "ssl") && contains_ci(text, " alert ")))
    return connect_failure::tls;
  return connect_failure::none;
}

std::string_view describe(connect_failure f) {
  switch (f) {
    case connect_failure::none: return {};
    case connect_failure::authentication: return "authentication failed";
    case connect_failure::certificate: return "TLS certificate verification failed";
    case connect_failure::tls: return "TLS handshake failed";
  }
  return {};
}

bool report_connect_failure(const std::string& cluster, connect_failure kind, std::string_view text,
                            std::chrono::steady_clock::time_point now, std::chrono::seconds quiet,
                            std::chrono::seconds remind_every) {
  if (kind == connect_failure::none) return false;
  struct entry {
    std::chrono::steady_clock::time_point last_seen, last_logged;
    std::size_t repeats = 0;
  };
  static std::mutex mutex;
  static std::map<std::pair<std::string, connect_failure>, entry> seen;  // bounded: clusters x kinds
  std::string line;
  {
    std::lock_guard lock(mutex);
    if (seen.size() > 4096) seen.clear();
    auto [it, fresh] = seen.try_emplace({cluster, kind});
    entry& e = it->second;
    if (fresh || now - e.last_seen >= quiet) {
      e = {now, now, 0};
      line = std::string(describe(kind)) + ": " + std::string(text);
    } else {
      e.last_seen = now;
      ++e.repeats;
      if (now - e.last_logged < remind_every) return false;
      line = std::string(describe(kind)) + ", still (" + std::to_string(e.repeats) + " more times in the last " +
             seconds_text(now - e.last_logged) + "): " + std::string(text);
      e.last_logged = now;
      e.repeats = 0;
    }
  }
  // librdkafka before 2.6.1 repeats the client nonce in its SCRAM final message; Kafka 4.0+ brokers
  // check the nonce strictly and refuse it as invalid credentials (librdkafka issue 4895).
  if (kind == connect_failure::authentication && contains_ci(text, "SCRAM") && rd_kafka_version() < 0x020601ff)
    line += std::string(" (if the brokers run Kafka 4.0 or later: librdkafka ") + rd_kafka_version_str() +
            " cannot authenticate to them with SCRAM, fixed in librdkafka 2.6.1; Kafka up to 3.9 accepts it)";
  // An alert from the broker during the handshake: it refused the certificate Warren presented (or
  // that none was presented).
  if (kind == connect_failure::certificate && contains_ci(text, " alert "))
    line += " (the broker refused the client certificate: check the [tls] certfile, keyfile, their CA and dates)";
  log_error("kafka", "cluster ", cluster, ": ", line);
  return true;
}

std::string last_connect_failure(rd_kafka_s* rk, std::chrono::seconds max_age) {
  auto* ctx = rk ? static_cast<log_context*>(rd_kafka_opaque(rk)) : nullptr;
  if (!ctx) return {};
  std::lock_guard lock(ctx->mutex);
  if (ctx->last_kind == connect_failure::none || std::chrono::steady_clock::now() - ctx->last_at > max_age) return {};
  return std::string(describe(ctx->last_kind)) + ": " + ctx->last_text;
}

log_level rdkafka_log_level(int syslog_level, std::string_view fac, std::string_view message) {
  log_level by_level = syslog_level <= 3   ? log_level::error
                       : syslog_level == 4 ? log_level::warn
                       : syslog_level <= 6 ? log_level::info
                                           : log_level::debug;
  // Connection churn: librdkafka retries by itself, and cluster health reports a real outage.
  static constexpr std::string_view churn[] = {
      "connection refused", "disconnected",      "brokers are down",  "all brokers down",
      "receive failed",     "send failed",       "connection reset",  "connect to ",
      "failed to resolve",  "timed out",         "broken pipe",       "connection closed",
      "transport failure",  "no route to host",  "network is unreachable"};
  bool is_churn = fac == "FAIL" || std::any_of(std::begin(churn), std::end(churn),
                                               [&](std::string_view c) { return contains_ci(message, c); });
  if (is_churn && by_level == log_level::error) return log_level::warn;
  return by_level;
}

rdkafka_log_filter::line rdkafka_log_filter::summary(const kind& k, time_point now) {
  return {k.level, k.text + " (repeated " + std::to_string(k.suppressed) + " times in the last " +
                       seconds_text(now - k.since) + ")"};
}

std::vector<rdkafka_log_filter::line> rdkafka_log_filter::on_log(int syslog_level, std::string_view fac,
                                                                 std::string_view message, time_point now) {
  std::vector<line> out;
  std::string key = std::string(fac) + "|" + std::string(without_suffix(message));
  auto it = kinds_.find(key);
  if (it != kinds_.end() && now - it->second.last_seen < options_.quiet) {
    // The same line again within the outage: count it.
    auto& k = it->second;
    if (k.suppressed == 0) k.since = now;
    ++k.suppressed;
    k.last_seen = now;
    if (now - k.since >= options_.summary_every) {
      out.push_back(summary(k, now));
      k.suppressed = 0;
    }
    return out;
  }
  // Something new (or an old line after a quiet period): the situation changed, so report what
  // was counted so far, then the line itself.
  for (auto& [other_key, k] : kinds_) {
    if (k.suppressed == 0) continue;
    out.push_back(summary(k, now));
    k.suppressed = 0;
  }
  for (auto i = kinds_.begin(); i != kinds_.end();) {  // forget kinds not seen for a quiet period
    if (i->first != key && now - i->second.last_seen >= options_.quiet) i = kinds_.erase(i);
    else ++i;
  }
  if (it == kinds_.end() && kinds_.size() >= options_.max_kinds) {
    auto oldest = std::min_element(kinds_.begin(), kinds_.end(), [](const auto& a, const auto& b) {
      return a.second.last_seen < b.second.last_seen;
    });
    kinds_.erase(oldest);
  }
  kind k;
  k.level = rdkafka_log_level(syslog_level, fac, message);
  k.text = std::string(fac) + ": " + std::string(message);
  k.last_seen = now;
  k.since = now;
  out.push_back({k.level, k.text});
  kinds_[key] = std::move(k);
  return out;
}

std::vector<rdkafka_log_filter::line> rdkafka_log_filter::flush(time_point now) {
  std::vector<line> out;
  for (auto& [key, k] : kinds_) {
    if (k.suppressed == 0) continue;
    out.push_back(summary(k, now));
    k.suppressed = 0;
  }
  return out;
}

boost::system::error_code make_error(int err) { return {err, category()}; }

std::string join_servers(const std::vector<std::string>& servers) {
  std::string out;
  for (const auto& s : servers) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
}

void set_client_owner(rd_kafka_s* rk, void* owner) {
  if (auto* ctx = rk ? static_cast<log_context*>(rd_kafka_opaque(rk)) : nullptr) ctx->owner = owner;
}
void* client_owner(rd_kafka_s* rk) {
  auto* ctx = rk ? static_cast<log_context*>(rd_kafka_opaque(rk)) : nullptr;
  return ctx ? ctx->owner : nullptr;
}

result<handle> make_client(client_kind kind, const client_settings& settings,
                           const std::map<std::string, std::string>& extra, std::string& error_text,
                           void (*tune)(rd_kafka_conf_s*)) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  auto set = [&](const std::string& k, const std::string& v) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      error_text = k + ": " + err;
      return false;
    }
    return true;
  };
  bool ok = set("bootstrap.servers", join_servers(settings.servers)) && set("client.id", settings.client_id) &&
            set("log_level", "4");
  for (const auto& [k, v] : settings.properties) ok = ok && set(k, v);
  for (const auto& [k, v] : extra) ok = ok && set(k, v);
  if (!ok) {
    rd_kafka_conf_destroy(conf);
    return make_error(RD_KAFKA_RESP_ERR__INVALID_ARG);
  }
  auto property = [&](const std::string& k) {
    if (auto it = extra.find(k); it != extra.end()) return it->second;
    auto it = settings.properties.find(k);
    return it == settings.properties.end() ? std::string() : it->second;
  };
  rd_kafka_conf_set_log_cb(conf, log_callback);
  if (kind == client_kind::producer) rd_kafka_conf_set_error_cb(conf, error_callback);
  if (tune) tune(conf);
  const std::string protocol = property("security.protocol");
  if ((protocol == "ssl" || protocol == "sasl_ssl") && property("enable.ssl.certificate.verification") != "false")
    rd_kafka_conf_set_ssl_cert_verify_cb(conf, verify_callback);
  auto* ctx = new log_context{settings.name, {}, {}, connect_failure::none, {}, {}, nullptr};
  rd_kafka_conf_set_opaque(conf, ctx);  // freed by handle_deleter after rd_kafka_destroy
  rd_kafka_t* rk = rd_kafka_new(kind == client_kind::consumer ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER, conf,
                                err, sizeof err);
  if (!rk) {
    error_text = err;
    rd_kafka_conf_destroy(conf);
    delete ctx;
    return make_error(RD_KAFKA_RESP_ERR__INVALID_ARG);
  }
  handle h(rk);
  if (kind == client_kind::producer) {
    // Nothing polls a producer's main queue: let the background thread serve it, so its error
    // events reach error_callback instead of piling up during an outage, and OAUTHBEARER token
    // refreshes run (librdkafka makes the first unsecured JWT in rd_kafka_new; refreshes are ops
    // on this queue; a consumer serves them when its consumer queue is polled).
    queue main(rd_kafka_queue_get_main(rk));
    queue background(rd_kafka_queue_get_background(rk));
    if (main && background) rd_kafka_queue_forward(main.get(), background.get());
  }
  return h;
}

}  // namespace warren::kafka
