#include "service/storage/log_end_history.hpp"

#include <algorithm>
#include <limits>

namespace warren::detail {
namespace {
constexpr std::uint64_t delta_max = std::numeric_limits<std::uint32_t>::max();
}

bool log_end_history::fits(std::int64_t offset, std::int64_t time_ms) const {
  return offset >= base_offset_ && time_ms >= base_time_ &&
         static_cast<std::uint64_t>(offset) - static_cast<std::uint64_t>(base_offset_) <= delta_max &&
         static_cast<std::uint64_t>(time_ms) - static_cast<std::uint64_t>(base_time_) <= delta_max;
}

void log_end_history::put(std::size_t i, std::int64_t offset, std::int64_t time_ms) {
  d_offset_[i] = static_cast<std::uint32_t>(static_cast<std::uint64_t>(offset) - static_cast<std::uint64_t>(base_offset_));
  d_time_[i] = static_cast<std::uint32_t>(static_cast<std::uint64_t>(time_ms) - static_cast<std::uint64_t>(base_time_));
}

// Drops the n oldest points and rebases on the new oldest.
void log_end_history::drop_oldest(std::size_t n) {
  if (n >= count_) {
    count_ = 0;
    return;
  }
  const history_point first = at(n);
  std::size_t k = 0;
  for (std::size_t i = n; i < count_; ++i, ++k) {
    const history_point p = at(i);
    d_offset_[k] = static_cast<std::uint32_t>(p.offset - first.offset);
    d_time_[k] = static_cast<std::uint32_t>(p.time_ms - first.time_ms);
  }
  base_offset_ = first.offset;
  base_time_ = first.time_ms;
  count_ = static_cast<std::uint8_t>(k);
}

void log_end_history::remove_at(std::size_t i) {
  if (i == 0) {
    drop_oldest(1);
    return;
  }
  for (std::size_t k = i + 1; k < count_; ++k) {
    d_offset_[k - 1] = d_offset_[k];
    d_time_[k - 1] = d_time_[k];
  }
  --count_;
}

void log_end_history::add(std::int64_t offset, std::int64_t time_ms) {
  if (count_ > 0) {
    const history_point last = newest();
    if (time_ms <= last.time_ms) return;  // out of order or a repeated round
    if (offset < last.offset) count_ = 0;  // recreated or truncated: the old points say nothing now
  }
  if (count_ == 0) {
    base_offset_ = offset;
    base_time_ = time_ms;
    put(0, offset, time_ms);
    count_ = 1;
    return;
  }
  // kafka-lag-exporter's plateau rule: keep a plateau's first and latest sighting only.
  if (count_ >= 2 && at(count_ - 1).offset == offset && at(count_ - 2).offset == offset) {
    put(count_ - 1, offset, time_ms);
    return;
  }
  // Older than 2^32 records or ms before this point: those points can no longer be encoded.
  std::size_t too_old = 0;
  while (too_old < count_) {
    const history_point p = at(too_old);
    if (static_cast<std::uint64_t>(offset) - static_cast<std::uint64_t>(p.offset) <= delta_max &&
        static_cast<std::uint64_t>(time_ms) - static_cast<std::uint64_t>(p.time_ms) <= delta_max)
      break;
    ++too_old;
  }
  if (too_old > 0) drop_oldest(too_old);
  if (count_ == 0) {
    add(offset, time_ms);
    return;
  }
  if (count_ == capacity) {
    // Drop the interior point i (1 ≤ i < count) whose removal costs least: its neighbours'
    // bracket (t[i−1], t[i+1]] replaces two narrower ones, relative to the youngest age in it.
    // Three equal offsets in a row bracket nothing: the middle one is free to drop.
    // Works on the deltas (all from the same base); the new point fits after the trimming above.
    const auto q_off = static_cast<std::uint32_t>(static_cast<std::uint64_t>(offset) - static_cast<std::uint64_t>(base_offset_));
    const auto q_time = static_cast<std::uint32_t>(static_cast<std::uint64_t>(time_ms) - static_cast<std::uint64_t>(base_time_));
    // cost = width / age, compared as width·age' < width'·age (both < 2^32: no overflow, no division).
    std::size_t best = 0;
    std::uint64_t best_width = 0, best_age = 1;
    for (std::size_t i = 1; i < count_; ++i) {
      const bool last = i + 1 == count_;
      const std::uint32_t r_off = last ? q_off : d_offset_[i + 1];
      const std::uint32_t r_time = last ? q_time : d_time_[i + 1];
      if (d_offset_[i - 1] == d_offset_[i] && d_offset_[i] == r_off) {
        best = i;  // brackets nothing: free to drop
        break;
      }
      const std::uint64_t width = r_time - d_time_[i - 1];
      const std::uint64_t age = std::max<std::uint32_t>(1, q_time - r_time);
      if (best == 0 || width * best_age < best_width * age) {
        best = i;
        best_width = width;
        best_age = age;
      }
    }
    remove_at(best);
  }
  if (!fits(offset, time_ms)) {  // cannot happen after the trimming above; keep the invariant anyway
    count_ = 0;
    add(offset, time_ms);
    return;
  }
  put(count_, offset, time_ms);
  ++count_;
}

void log_end_history::copy_to(std::vector<history_point>& out) const {
  for (std::size_t i = 0; i < count_; ++i) out.push_back(at(i));
}

}  // namespace warren::detail
