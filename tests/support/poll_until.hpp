#pragma once
// poll_until: the one allowed way for a test to wait. Evaluates `pred` now and then every `step`
// until it returns true or `deadline` (measured from the call) has passed; the predicate gets one
// last evaluation at the deadline, so a condition that becomes true just in time still counts.
// Returns whether the predicate became true. Runs on the calling thread; `pred` may block.

#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>

namespace warren {

inline bool poll_until(const std::function<bool()>& pred, std::chrono::milliseconds deadline,
                       std::chrono::milliseconds step = std::chrono::milliseconds{50}) {
  using steady = std::chrono::steady_clock;
  const auto end = steady::now() + deadline;
  for (;;) {
    if (pred()) return true;
    const auto now = steady::now();
    if (now >= end) return false;
    std::this_thread::sleep_for(std::min<steady::duration>(step, end - now));
    if (steady::now() >= end) return pred();
  }
}

}  // namespace warren
