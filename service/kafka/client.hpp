#pragma once
// RAII owners for librdkafka objects and the settings that build a client. This folder is the only
// one that includes librdkafka; elsewhere its types are opaque. Destroying a client handle blocks
// (it waits for librdkafka's threads): destroy it through blocking_pool, never on the io thread.
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "service/core/log.hpp"
#include "service/core/result.hpp"

struct rd_kafka_s;
struct rd_kafka_queue_s;
struct rd_kafka_topic_partition_list_s;
struct rd_kafka_conf_s;

namespace warren::kafka {

struct handle_deleter {
  void operator()(rd_kafka_s* rk) const noexcept;
};
struct queue_deleter {
  void operator()(rd_kafka_queue_s* q) const noexcept;
};
struct partition_list_deleter {
  void operator()(rd_kafka_topic_partition_list_s* l) const noexcept;
};
using handle = std::unique_ptr<rd_kafka_s, handle_deleter>;
using queue = std::unique_ptr<rd_kafka_queue_s, queue_deleter>;
using partition_list = std::unique_ptr<rd_kafka_topic_partition_list_s, partition_list_deleter>;

/// Everything needed to connect: bootstrap servers and librdkafka properties derived from a
/// Burrow client profile (client id, TLS, SASL).
struct client_settings {
  std::vector<std::string> servers;
  std::string client_id = "burrow-lagchecker";
  std::map<std::string, std::string> properties;  ///< extra librdkafka properties, applied last
  /// Label carried by every librdkafka log line of the client: the cluster name. Empty = none.
  std::string name;
};

/// Warren's level for one librdkafka log line. By syslog level (0-3 error, 4 warn, 5-6 info, 7 debug),
/// except that connection churn (connection refused, disconnected, all brokers down, receive
/// failed, ...) is warn at most: librdkafka reconnects by itself and the cluster's health says
/// whether it is down.
log_level rdkafka_log_level(int syslog_level, std::string_view fac, std::string_view message);

/// Maps and deduplicates the log lines of ONE librdkafka client. Pure state machine, not
/// thread-safe: make_client's log callback serialises calls with a mutex (librdkafka logs from its
/// broker threads).
///
/// The first line of a kind (same facility and message, ignoring librdkafka's "(after Nms in state
/// X...)" suffix) is written; repeats are counted, not written. A summary line "... (repeated N
/// times in the last Ts)" is written when a line of another kind arrives (the situation changed),
/// when the same line comes back after `quiet` without repeats (a new outage), every
/// `summary_every` while it keeps repeating, and by flush() when the client is destroyed.
class rdkafka_log_filter {
 public:
  struct line {
    log_level level;
    std::string text;  ///< `FAC: message` or the summary
    friend bool operator==(const line&, const line&) = default;
  };
  struct options {
    std::chrono::seconds quiet{60};
    std::chrono::seconds summary_every{300};
    std::size_t max_kinds = 256;  ///< distinct kinds remembered; the least recently seen is forgotten
  };
  using time_point = std::chrono::steady_clock::time_point;

  rdkafka_log_filter() : rdkafka_log_filter(options{}) {}
  explicit rdkafka_log_filter(options o) : options_(o) {}

  /// Lines to write (0..n) for one librdkafka log callback at `now`.
  std::vector<line> on_log(int syslog_level, std::string_view fac, std::string_view message, time_point now);
  /// Summaries of everything still counted (at client destruction).
  std::vector<line> flush(time_point now);

 private:
  struct kind {
    log_level level;
    std::string text;
    std::size_t suppressed = 0;
    time_point last_seen;
    time_point since;  ///< start of the counted period
  };
  static line summary(const kind& k, time_point now);

  options options_;
  std::map<std::string, kind> kinds_;
};

/// Connection failures that retrying does not fix: wrong credentials or TLS material. librdkafka
/// reports them on every reconnect, from every client of a cluster.
enum class connect_failure {
  none,            ///< anything else (refused, timed out, disconnected): connection churn
  authentication,  ///< SASL authentication failed (wrong user, password or mechanism)
  certificate,     ///< TLS certificate verification failed (wrong CA, expired, name mismatch), either side
  tls,             ///< another TLS handshake failure (protocol or cipher mismatch, TLS against plaintext)
};

/// Classifies a librdkafka error or log text.
connect_failure classify_failure(std::string_view text);
/// "authentication failed", "TLS certificate verification failed", "TLS handshake failed"; empty for none.
std::string_view describe(connect_failure f);

/// Logs a connection failure of `kind` (not none) of a client of `cluster` as one error line:
/// "cluster C: authentication failed: TEXT". Repeats of the same kind for the same cluster (from any
/// of its clients, on every reconnect) are counted instead, and summarised as "authentication
/// failed, still (N more times in the last Ts): TEXT" every `remind_every`; a kind not seen for
/// `quiet` is logged afresh.
/// Process-wide and thread-safe (librdkafka's threads call it). Returns whether a line was written.
bool report_connect_failure(const std::string& cluster, connect_failure kind, std::string_view text,
                            std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now(),
                            std::chrono::seconds quiet = std::chrono::seconds(60),
                            std::chrono::seconds remind_every = std::chrono::seconds(300));

/// The last authentication or TLS failure of a client ("authentication failed: TEXT"), for health
/// reasons; empty when none was seen in the last `max_age` or a later failure was of another kind.
/// Thread-safe; `rk` must be a client made by make_client.
std::string last_connect_failure(rd_kafka_s* rk, std::chrono::seconds max_age = std::chrono::seconds(30));

enum class client_kind { consumer, producer };

/// Builds a client. Errors carry librdkafka's message (bad property, bad value). Authentication and
/// TLS failures are logged through report_connect_failure and remembered for last_connect_failure.
/// A producer's main queue (errors, OAUTHBEARER token refreshes) is served by librdkafka's background
/// thread, as nothing polls it; a consumer's is served by whoever polls its consumer queue.
/// `tune`, when given, is applied to the configuration last (e.g. to install a rebalance callback;
/// callbacks find their object through client_owner(), the configuration's opaque being taken).
result<handle> make_client(client_kind kind, const client_settings& settings,
                           const std::map<std::string, std::string>& extra, std::string& error_text,
                           void (*tune)(rd_kafka_conf_s*) = nullptr);

/// An object the client's callbacks may reach (set once, before they can run). `rk` must be a
/// client made by make_client.
void set_client_owner(rd_kafka_s* rk, void* owner);
void* client_owner(rd_kafka_s* rk);

std::string join_servers(const std::vector<std::string>& servers);

/// librdkafka error code → boost error_code (category "librdkafka").
boost::system::error_code make_error(int rd_kafka_resp_err);

}  // namespace warren::kafka
