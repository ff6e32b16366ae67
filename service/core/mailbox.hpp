#pragma once
// mailbox<T>: an actor's bounded queue of typed commands (asio::experimental::channel underneath).
// io thread only. `send` suspends while the mailbox is full (back-pressure: nothing is dropped);
// `try_send` never waits and says whether the command was queued. The owning actor `receive`s;
// closing wakes every waiter. Include only from .cpp files (it pulls in Asio's channel).
#include <boost/asio/experimental/channel.hpp>
#include <cstddef>
#include <optional>

#include "service/core/async.hpp"

namespace warren {

template <class T>
class mailbox {
 public:
  mailbox(asio::any_io_executor ex, std::size_t capacity) : channel_(ex, capacity) {}

  /// Queues `v`, suspending while full. False when the mailbox was closed.
  task<bool> send(T v) {
    ++queued_;
    auto [ec] = co_await channel_.async_send(boost::system::error_code{}, std::move(v), use_nothrow);
    if (ec) --queued_;
    co_return !ec;
  }
  /// Queues `v` when there is room now. False when full or closed.
  bool try_send(T& v) {
    if (!channel_.is_open()) return false;
    if (!channel_.try_send(boost::system::error_code{}, std::move(v))) return false;
    ++queued_;
    return true;
  }
  /// The next command; nullopt once the mailbox is closed (or the wait was cancelled).
  task<std::optional<T>> receive() {
    auto [ec, v] = co_await channel_.async_receive(use_nothrow);
    if (ec) co_return std::nullopt;
    --queued_;
    co_return std::optional<T>(std::move(v));
  }
  /// Ends the mailbox for good (at stop): waiting senders and receivers resume with false/nullopt.
  /// A supervised restart keeps the mailbox open, so queued commands survive it.
  void close() { channel_.close(); }
  bool is_open() const { return channel_.is_open(); }
  /// Commands sent and not yet received (including senders suspended on a full mailbox).
  std::size_t queued() const { return queued_; }

 private:
  asio::experimental::channel<void(boost::system::error_code, T)> channel_;
  std::size_t queued_ = 0;
};

}  // namespace warren
