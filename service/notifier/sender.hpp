#pragma once
// sender: one notifier module's delivery line. The coordinator queues rendered notifications with
// enqueue() (never waits); the sender's loop (run under the coordinator's actor) delivers them one
// at a time, in order, through its transport (HTTP, SMTP, Alertmanager), so a slow or dead receiver
// only ever delays its own module.
// - Bounded queue: when full, the oldest queued notification is dropped (counted in `dropped`).
// - Retries: a retryable failure (connection error, timeout, HTTP 5xx/408/429, SMTP error) is tried
//   again after a capped exponential backoff with jitter (retry_policy); after the last attempt the
//   notification is counted in `failed` and dropped. Non-retryable failures (HTTP 4xx) fail at once.
// - Logging: one warning per failure burst (the first failure after a success), naming only the
//   receiver's scheme://host:port (URLs carry secrets: Slack webhook paths, tokens in queries); one
//   info line when deliveries succeed again.
// io thread only (the email transport offloads its blocking work itself).
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "service/core/async.hpp"
#include "service/notifier/rules.hpp"

namespace warren {
class actor;
}

namespace warren::notifier {

/// One notification, rendered. What a transport needs is filled by the coordinator.
struct notification {
  std::string cluster, group;
  action kind = action::open;
  incident at;
  status_code status = status_code::ok;
  std::string url;     ///< http, alertmanager: the rendered URL
  std::string method;  ///< http: the HTTP method
  std::string body;    ///< the rendered template (email: headers + body), or the JSON to post
  /// When the coordinator decided to send it (latency is measured from here).
  std::chrono::steady_clock::time_point created;
};

/// What one delivery attempt gave.
struct delivery {
  bool ok = false;
  bool retryable = true;
  std::string error;  ///< why it failed, without secrets
};

/// How a module talks to its receiver. Implementations live in *_transport.cpp.
class transport {
 public:
  virtual ~transport() = default;
  /// One attempt. Completes within the module's timeout (or sooner when cancelled).
  virtual task<delivery> deliver(const notification& n) = 0;
  /// Aborts an attempt in flight (stop); the attempt completes with an error.
  virtual void cancel() = 0;
  /// `scheme://host:port` of the receiver for log lines (never the path or credentials).
  virtual std::string describe(const notification& n) const = 0;
};

struct retry_policy {
  /// Attempts after the first one.
  int retries = 5;
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{30000};
};

/// Latency histogram (seconds) with fixed Prometheus buckets.
struct latency_histogram {
  static constexpr double bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  std::uint64_t counts[std::size(bounds)] = {};  ///< per bucket (not cumulative)
  std::uint64_t total = 0;
  double sum = 0;
  void observe(double seconds);
};

struct sender_stats {
  std::uint64_t sent = 0;      ///< delivered (receiver said yes)
  std::uint64_t failed = 0;    ///< given up on after the last attempt (or not retryable)
  std::uint64_t dropped = 0;   ///< discarded because the queue was full
  std::uint64_t attempts = 0;  ///< delivery attempts, first tries and retries
  std::uint64_t retries = 0;   ///< attempts after a failure
  latency_histogram latency;   ///< decision to successful delivery
};

class sender {
 public:
  sender(asio::any_io_executor ex, std::string module, std::string class_name, std::size_t capacity,
         retry_policy retry, std::unique_ptr<transport> t);
  ~sender();
  sender(const sender&) = delete;
  sender& operator=(const sender&) = delete;

  /// Queues `n`; drops the oldest queued notification when the queue is full. Never waits.
  void enqueue(notification n);
  /// Counts a notification that could not even be built (template execution error).
  void count_failure(const std::string& what);
  /// The delivery loop: returns when `owner` stops.
  task<void> run(actor& owner);
  /// Wakes the loop and aborts an attempt in flight (stop, fault injection).
  void interrupt();

  const std::string& module() const { return module_; }
  const std::string& class_name() const { return class_; }
  std::size_t queued() const { return queue_.size(); }
  std::size_t capacity() const { return capacity_; }
  const sender_stats& stats() const { return stats_; }

 private:
  task<void> deliver(actor& owner, notification& n);
  void note_failure(const std::string& receiver, const std::string& why, bool will_retry);
  void note_success();

  std::string module_, class_;
  std::size_t capacity_;
  retry_policy retry_;
  std::unique_ptr<transport> transport_;
  std::deque<notification> queue_;
  sender_stats stats_;
  bool in_burst_ = false;
  std::uint64_t burst_failures_ = 0;
  std::mt19937_64 rng_;
  struct timers;
  std::unique_ptr<timers> timers_;  // wake-up and backoff timers (Asio types stay in the .cpp)
};

}  // namespace warren::notifier
