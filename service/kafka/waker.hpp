#pragma once
// queue_waker: the librdkafka → io thread bridge. librdkafka writes one byte into a non-blocking
// pipe when a queue goes from empty to non-empty; the io thread waits on the pipe's read end with
// asio::posix::stream_descriptor. Contract for users: after every wake, drain the queue to empty
// (otherwise no new byte arrives). Lives and is used on the io thread only.
#include <chrono>
#include <memory>

#include "service/core/async.hpp"

struct rd_kafka_queue_s;

namespace warren::kafka {

class queue_waker {
 public:
  /// Enables the io event on `q` (which must outlive the waker).
  queue_waker(asio::any_io_executor ex, rd_kafka_queue_s* q);
  ~queue_waker();  ///< disables the io event before the pipe closes
  queue_waker(const queue_waker&) = delete;
  queue_waker& operator=(const queue_waker&) = delete;

  /// Completes when librdkafka signalled the queue (or on cancel(), with operation_aborted).
  task<boost::system::error_code> wait();
  /// As wait(), but completes without error after `max` at the latest (issue 14: a group member
  /// must poll within max.poll.interval.ms even when nothing arrives).
  task<boost::system::error_code> wait(std::chrono::milliseconds max);
  void cancel();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace warren::kafka
