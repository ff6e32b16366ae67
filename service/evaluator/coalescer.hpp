#pragma once
// coalescer: when the evaluator flushes dirty groups. PURE (takes `now`), unit tested with a
// manual clock. Leading edge with a budget: while fewer than `budget` group evaluations were
// flushed in the current window, a change is evaluated at once (a lone change, a quiet group's
// commit, a log-end round of a small cluster: milliseconds); once a window has spent its budget,
// further changes wait for the window's end and are evaluated together, so a storm (a replay, a
// rebalance of thousands of groups) still costs one flush per `window`.
#include <chrono>
#include <cstddef>
#include <optional>

namespace warren {

class coalescer {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  explicit coalescer(std::chrono::milliseconds window, std::size_t budget = 256) : window_(window), budget_(budget) {}

  /// A group became dirty at `now`. Returns when the flush is due when this mark armed it, or
  /// nullopt when a flush is already due (the mark joins it).
  std::optional<time_point> mark(time_point now) {
    if (due_) return std::nullopt;
    roll(now);
    due_ = spent_ < budget_ ? now : window_start_ + window_;
    return due_;
  }
  /// The flush that was due started at `now` and evaluates `groups` groups.
  void flushed(time_point now, std::size_t groups) {
    due_.reset();
    roll(now);
    spent_ += groups;
  }
  std::optional<time_point> due() const { return due_; }
  std::chrono::milliseconds window() const { return window_; }

 private:
  void roll(time_point now) {
    if (!started_ || now >= window_start_ + window_) {
      started_ = true;
      window_start_ = now;
      spent_ = 0;
    }
  }

  std::chrono::milliseconds window_;
  std::size_t budget_;
  std::optional<time_point> due_;
  bool started_ = false;
  time_point window_start_{};
  std::size_t spent_ = 0;
};

}  // namespace warren
