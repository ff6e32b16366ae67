#include "service/core/offload.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>

namespace warren {

struct blocking_pool::impl {
  explicit impl(int threads) : pool(static_cast<std::size_t>(threads)) {}
  asio::thread_pool pool;
};

blocking_pool::blocking_pool(int threads) : impl_(std::make_unique<impl>(threads)) {}
blocking_pool::~blocking_pool() { join(); }

task<void> blocking_pool::run(std::function<void()> work) {
  // co_spawn on the pool's executor: the body runs there; use_awaitable resumes this coroutine on
  // its own (io) executor when the body finishes, rethrowing any exception.
  auto body = [](std::function<void()> w) -> task<void> {
    w();
    co_return;
  };
  auto spawned = asio::co_spawn(impl_->pool.get_executor(), body(std::move(work)), asio::use_awaitable);
  co_await std::move(spawned);
}

void blocking_pool::join() { impl_->pool.join(); }

}  // namespace warren
