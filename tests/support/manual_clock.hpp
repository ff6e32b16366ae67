#pragma once
// manual_clock: wall time set by the test (Unix ms); monotonic time stays real, so Asio timers
// keep working while rules, expiry and stored samples see the test's time.
#include <cstdint>

#include "service/core/clock.hpp"

namespace warren::test {

class manual_clock : public warren::clock {
 public:
  explicit manual_clock(std::int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}
  std::int64_t wall_ms() const override { return now_; }
  void set(std::int64_t ms) { now_ = ms; }
  void advance_ms(std::int64_t ms) { now_ += ms; }

 private:
  std::int64_t now_;
};

}  // namespace warren::test
