#include "service/notifier/sender.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "service/core/actor.hpp"
#include "service/core/log.hpp"

namespace warren::notifier {

void latency_histogram::observe(double seconds) {
  ++total;
  sum += seconds;
  for (std::size_t i = 0; i < std::size(bounds); ++i)
    if (seconds <= bounds[i]) {
      ++counts[i];
      return;
    }
}

struct sender::timers {
  explicit timers(asio::any_io_executor ex) : wake(ex), backoff(ex) {}
  asio::steady_timer wake;
  asio::steady_timer backoff;
  bool idle = false;
};

sender::sender(asio::any_io_executor ex, std::string module, std::string class_name, std::size_t capacity,
               retry_policy retry, std::unique_ptr<transport> t)
    : module_(std::move(module)), class_(std::move(class_name)), capacity_(std::max<std::size_t>(capacity, 1)),
      retry_(retry), transport_(std::move(t)), rng_(std::random_device{}()),
      timers_(std::make_unique<timers>(ex)) {}

sender::~sender() = default;

void sender::enqueue(notification n) {
  if (queue_.size() >= capacity_) {
    queue_.pop_front();
    ++stats_.dropped;
  }
  queue_.push_back(std::move(n));
  if (timers_->idle) timers_->wake.cancel();
}

void sender::count_failure(const std::string& what) {
  ++stats_.failed;
  note_failure("", what, false);
}

void sender::interrupt() {
  timers_->wake.cancel();
  timers_->backoff.cancel();
  transport_->cancel();
}

task<void> sender::run(actor& owner) {
  while (!owner.stopping()) {
    owner.checkpoint();
    if (queue_.empty()) {
      timers_->idle = true;
      timers_->wake.expires_at(std::chrono::steady_clock::time_point::max());
      co_await timers_->wake.async_wait(use_nothrow);
      timers_->idle = false;
      continue;
    }
    // Moved out before delivery, so drop-oldest never touches the notification in flight (a
    // restart of this loop after an exception loses only that one).
    notification n = std::move(queue_.front());
    queue_.pop_front();
    co_await deliver(owner, n);
  }
}

task<void> sender::deliver(actor& owner, notification& n) {
  for (int attempt = 0;; ++attempt) {
    if (owner.stopping()) co_return;
    ++stats_.attempts;
    if (attempt > 0) ++stats_.retries;
    delivery d = co_await transport_->deliver(n);
    if (d.ok) {
      ++stats_.sent;
      stats_.latency.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - n.created).count());
      note_success();
      co_return;
    }
    const bool give_up = !d.retryable || attempt >= retry_.retries || owner.stopping();
    note_failure(transport_->describe(n), d.error, !give_up);
    if (give_up) {
      ++stats_.failed;
      co_return;
    }
    // Capped exponential backoff with "equal jitter": half fixed, half random, so receivers that
    // come back are not hit by every module at the same instant.
    auto base = std::min<std::int64_t>(retry_.max_backoff.count(),
                                       retry_.initial_backoff.count() << std::min(attempt, 20));
    std::uniform_int_distribution<std::int64_t> jitter(0, std::max<std::int64_t>(base / 2, 0));
    timers_->backoff.expires_after(std::chrono::milliseconds(base - base / 2 + jitter(rng_)));
    co_await timers_->backoff.async_wait(use_nothrow);
  }
}

void sender::note_failure(const std::string& receiver, const std::string& why, bool will_retry) {
  ++burst_failures_;
  if (in_burst_) return;
  in_burst_ = true;
  log_warn("notifier", module_, " (", class_, "): delivery", receiver.empty() ? "" : " to " + receiver, " failed: ",
           why, will_retry ? " (retrying with backoff" : " (giving up on this notification",
           "; further failures are not logged until a delivery succeeds)");
}

void sender::note_success() {
  if (!in_burst_) return;
  log_info("notifier", module_, " (", class_, "): delivering again after ", burst_failures_, " failed attempt(s)");
  in_burst_ = false;
  burst_failures_ = 0;
}

}  // namespace warren::notifier
