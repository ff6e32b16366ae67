#include "service/kafka/client.hpp"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cctype>
#include <mutex>

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

// librdkafka log lines arrive on its own threads (see log_context).
void log_callback(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  auto* ctx = static_cast<log_context*>(rd_kafka_opaque(rk));
  auto now = std::chrono::steady_clock::now();
  std::vector<rdkafka_log_filter::line> lines;
  if (ctx) {
    std::lock_guard lock(ctx->mutex);
    lines = ctx->filter.on_log(level, fac, buf, now);
  } else {
    lines.push_back({rdkafka_log_level(level, fac, buf), std::string(fac) + ": " + buf});
  }
  write_lines(ctx, rd_kafka_name(rk), lines);
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

result<handle> make_client(client_kind kind, const client_settings& settings,
                           const std::map<std::string, std::string>& extra, std::string& error_text) {
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
  rd_kafka_conf_set_log_cb(conf, log_callback);
  auto* ctx = new log_context{settings.name, {}, {}};
  rd_kafka_conf_set_opaque(conf, ctx);  // freed by handle_deleter after rd_kafka_destroy
  rd_kafka_t* rk = rd_kafka_new(kind == client_kind::consumer ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER, conf,
                                err, sizeof err);
  if (!rk) {
    error_text = err;
    rd_kafka_conf_destroy(conf);
    delete ctx;
    return make_error(RD_KAFKA_RESP_ERR__INVALID_ARG);
  }
  return handle(rk);
}

}  // namespace warren::kafka
