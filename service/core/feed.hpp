#pragma once
// feed<Event> / subscriber<Event>: one publisher, many subscribers, each with its OWN bounded
// queue (design.md §1). Publishing never waits and never runs subscriber code: the event is
// queued into every subscriber's queue, and each subscriber drains its queue in its own loop
// (run under its actor's supervision). Queues coalesce by key: an event whose key is already
// queued is merged into the queued one (Event::merge(newer)), so a queue holds at most one
// event per key (per group, per cluster) — bounded by what exists, and nothing is lost but
// intermediate states. An exception in a subscriber's handler is caught, counted and logged
// through its actor; the other subscribers and the publisher never see it.
//
// Event requirements: `std::string key() const` and `void merge(Event&& newer)`.
// io thread only. Include from .cpp files (Asio timer).
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <string>
#include <unordered_map>

#include "service/core/actor.hpp"
#include "service/core/async.hpp"

namespace warren {

template <class Event>
class subscriber;

template <class Event>
class feed {
 public:
  feed() = default;
  feed(const feed&) = delete;
  feed& operator=(const feed&) = delete;
  ~feed();

  /// Queues `e` for every subscriber. Never waits.
  void publish(const Event& e);
  std::size_t subscribers() const { return subs_.size(); }

 private:
  friend class subscriber<Event>;
  std::list<subscriber<Event>*> subs_;
};

struct subscriber_stats {
  std::uint64_t delivered = 0;  ///< events handed to the handler
  std::uint64_t coalesced = 0;  ///< events merged into one already queued
  std::uint64_t failures = 0;   ///< handler exceptions (caught)
};

template <class Event>
class subscriber {
 public:
  using handler = std::function<void(Event&)>;

  /// Registers with `f`; unregisters on destruction (queued events are discarded).
  subscriber(feed<Event>& f, asio::any_io_executor ex, handler h) : feed_(&f), wake_(ex), handler_(std::move(h)) {
    wake_.expires_at(std::chrono::steady_clock::time_point::max());
    reg_ = f.subs_.insert(f.subs_.end(), this);
  }
  ~subscriber() {
    if (feed_) feed_->subs_.erase(reg_);
  }
  subscriber(const subscriber&) = delete;
  subscriber& operator=(const subscriber&) = delete;

  /// Queues one event (the feed calls this).
  void push(const Event& e) {
    auto k = e.key();
    auto it = pending_.find(k);
    if (it != pending_.end()) {
      Event copy = e;
      it->second.merge(std::move(copy));
      ++stats_.coalesced;
      return;
    }
    order_.push_back(k);
    pending_.emplace(std::move(k), e);
    if (idle_) wake_.cancel();
  }

  /// The loop body to run under the owning actor: delivers queued events forever, `slice`
  /// events per io-thread turn. Returns when the actor stops.
  task<void> drain(actor& owner, std::size_t slice = 256) {
    while (!owner.stopping()) {
      owner.checkpoint();
      if (order_.empty()) {
        idle_ = true;
        wake_.expires_at(std::chrono::steady_clock::time_point::max());
        co_await wake_.async_wait(use_nothrow);
        idle_ = false;
        continue;
      }
      for (std::size_t n = 0; n < slice && !order_.empty() && !owner.stopping(); ++n) {
        auto node = pending_.extract(order_.front());
        order_.pop_front();
        if (node.empty()) continue;
        ++stats_.delivered;
        try {
          handler_(node.mapped());
        } catch (const std::exception& ex) {
          ++stats_.failures;
          owner.note_failure(std::string("event handler threw: ") + ex.what());
        }
      }
      if (after_slice_) after_slice_();
      co_await asio::post(owner.executor(), asio::use_awaitable);
    }
  }
  /// Called after each slice of events the drain handed to the handler (before it yields).
  void after_slice(std::function<void()> f) { after_slice_ = std::move(f); }
  /// Wakes an idle drain loop (stop and fault injection use it).
  void interrupt() { wake_.cancel(); }

  std::size_t queued() const { return order_.size(); }
  const subscriber_stats& stats() const { return stats_; }

 private:
  friend class feed<Event>;
  feed<Event>* feed_;
  asio::steady_timer wake_;
  handler handler_;
  std::function<void()> after_slice_;
  bool idle_ = false;
  std::deque<std::string> order_;
  std::unordered_map<std::string, Event> pending_;
  subscriber_stats stats_;
  typename std::list<subscriber<Event>*>::iterator reg_;
};

template <class Event>
feed<Event>::~feed() {
  for (auto* s : subs_) s->feed_ = nullptr;
}

template <class Event>
void feed<Event>::publish(const Event& e) {
  for (auto* s : subs_) s->push(e);
}

}  // namespace warren
