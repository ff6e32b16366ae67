#include "service/kafka/waker.hpp"

#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <stdexcept>

namespace warren::kafka {

struct queue_waker::impl {
  impl(asio::any_io_executor ex, rd_kafka_queue_t* queue) : q(queue), read_end(ex) {
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    read_end.assign(fds[0]);
    write_fd = fds[1];
    static const char one = '1';
    rd_kafka_queue_io_event_enable(q, write_fd, &one, 1);
  }
  ~impl() {
    rd_kafka_queue_io_event_enable(q, -1, nullptr, 0);  // disable before closing the pipe
    ::close(write_fd);
  }
  rd_kafka_queue_t* q;
  asio::posix::stream_descriptor read_end;
  int write_fd = -1;
};

queue_waker::queue_waker(asio::any_io_executor ex, rd_kafka_queue_s* q) : impl_(std::make_unique<impl>(ex, q)) {}
queue_waker::~queue_waker() = default;

task<boost::system::error_code> queue_waker::wait() {
  auto [ec] = co_await impl_->read_end.async_wait(asio::posix::stream_descriptor::wait_read, use_nothrow);
  if (ec) co_return ec;
  char buf[256];
  while (::read(impl_->read_end.native_handle(), buf, sizeof buf) > 0) {
  }
  co_return boost::system::error_code{};
}

task<boost::system::error_code> queue_waker::wait(std::chrono::milliseconds max) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(impl_->read_end.get_executor());
  timer.expires_after(max);
  // The first to complete cancels the other; cancel() still ends the wait with operation_aborted.
  // Named before co_await: GCC 12 mishandles non-trivial temporaries there.
  auto either = wait() || timer.async_wait(use_nothrow);
  auto first = co_await std::move(either);
  if (first.index() == 0) co_return std::get<0>(first);
  co_return boost::system::error_code{};
}

void queue_waker::cancel() { impl_->read_end.cancel(); }

}  // namespace warren::kafka
