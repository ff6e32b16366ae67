#pragma once
// blocking_pool: a small thread pool for calls that block (librdkafka metadata, offsets_for_times,
// close/destroy, file I/O). `run()` is awaited on the io thread; the work runs on a pool thread and
// the awaiting coroutine resumes on its own executor (the io thread). Exceptions propagate.
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>

#include "service/core/async.hpp"

namespace warren {

class blocking_pool {
 public:
  explicit blocking_pool(int threads);
  ~blocking_pool();
  blocking_pool(const blocking_pool&) = delete;
  blocking_pool& operator=(const blocking_pool&) = delete;

  /// Runs `work` on a pool thread; resumes the caller on its executor when done.
  task<void> run(std::function<void()> work);

  /// Typed convenience: returns what `fn` returns. Not itself a coroutine: the callable is put
  /// into a std::function first, so no lambda temporary lives inside a co_await expression
  /// (GCC 12 destroys such temporaries twice).
  template <class F, class R = std::invoke_result_t<F&>>
  task<R> offload(F fn) {
    if constexpr (std::is_void_v<R>) {
      return run(std::function<void()>(std::move(fn)));
    } else {
      return offload_value<R>(std::function<R()>(std::move(fn)));
    }
  }

  /// Stops accepting work and joins the threads (waits for running work to finish).
  void join();

 private:
  template <class R>
  task<R> offload_value(std::function<R()> fn) {
    std::optional<R> out;
    std::function<void()> work = [&out, &fn] { out.emplace(fn()); };
    co_await run(std::move(work));
    co_return std::move(*out);
  }

  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace warren
