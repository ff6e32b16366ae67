#pragma once
// Time sources. Pure cores never read a clock: they take `now` as a parameter. Actors read time
// through an injected `clock` so tests drive expiry, coalescing and the periodic pass with a
// manual clock (tests/support) instead of sleeping.
#include <chrono>
#include <cstdint>

namespace warren {

inline std::int64_t wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Wall time (Unix ms, for stored samples and rules) and monotonic time (for scheduling).
/// The default implementation reads the system clocks; any thread.
class clock {
 public:
  virtual ~clock() = default;
  virtual std::int64_t wall_ms() const { return wall_now_ms(); }
  virtual std::chrono::steady_clock::time_point steady() const { return std::chrono::steady_clock::now(); }

  /// The process-wide system clock.
  static const clock& system();
};

inline const clock& clock::system() {
  static const clock instance;
  return instance;
}

}  // namespace warren
