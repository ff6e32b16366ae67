#pragma once
// coalescer: when the evaluator flushes dirty groups. PURE (takes `now`), unit tested with a
// manual clock. Leading edge: a change that arrives when no flush happened within the last
// `window` is evaluated at once; changes that follow within the window wait for the next tick, so
// a lone change is pushed in milliseconds while a storm still costs one flush per window.
#include <chrono>
#include <optional>

namespace warren {

class coalescer {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  explicit coalescer(std::chrono::milliseconds window) : window_(window) {}

  /// A group became dirty at `now`. Returns when the flush is due when this mark armed it, or
  /// nullopt when a flush is already due (the mark joins it).
  std::optional<time_point> mark(time_point now) {
    if (due_) return std::nullopt;
    due_ = (last_ && now < *last_ + window_) ? *last_ + window_ : now;
    return due_;
  }
  /// The flush that was due started at `now`.
  void flushed(time_point now) {
    due_.reset();
    last_ = now;
  }
  std::optional<time_point> due() const { return due_; }
  std::chrono::milliseconds window() const { return window_; }

 private:
  std::chrono::milliseconds window_;
  std::optional<time_point> due_;
  std::optional<time_point> last_;
};

}  // namespace warren
