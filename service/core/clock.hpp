#pragma once
// Wall clock in Unix milliseconds. Pure cores never call it: they take `now` as a parameter.
#include <chrono>
#include <cstdint>

namespace warren {
inline std::int64_t wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace warren
