#pragma once
// run_until: drives an io_context until `pred` holds or `deadline` passes (no sleeping: the
// context runs its handlers and timers meanwhile). Returns whether `pred` became true.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>

namespace warren::test {

inline bool run_until(boost::asio::io_context& ioc, const std::function<bool()>& pred,
                      std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= end) return pred();
    if (ioc.stopped()) ioc.restart();
    ioc.run_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace warren::test
