#pragma once
// group_evaluator (actor): keeps the latest status of every group. The store reports changed
// groups (mark_dirty); they are re-evaluated together on a short coalescing tick. A periodic pass
// re-evaluates every group (STOP and current lag depend on the clock and the broker offsets),
// in slices so the io thread stays responsive. Whenever a group's status or any partition's
// status changes, or a group is removed, subscribers get a `group_status_changed` event. HTTP
// reads the kept statuses; nothing is evaluated on the request path and nothing is cached
// beyond the groups that exist.
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "service/core/async.hpp"
#include "service/evaluator/rules.hpp"

namespace warren {
class offset_store;

/// One change event. `current` is null when the group was removed.
struct group_status_changed {
  const std::string& cluster;
  const std::string& group;
  const group_status* current;  ///< all partitions (the `/lag` answer)
  status_code previous;         ///< notfound when the group is new
};

struct evaluator_stats {
  std::uint64_t evaluations = 0;      ///< group evaluations
  std::uint64_t partitions = 0;       ///< partition evaluations
  std::uint64_t changes = 0;          ///< events published
  std::uint64_t passes = 0;           ///< periodic full passes
  double last_pass_seconds = 0;       ///< duration of the last full pass
  double evaluation_seconds_total = 0;
};

class group_evaluator {
 public:
  using subscriber = std::function<void(const group_status_changed&)>;

  /// RAII subscription: unsubscribes on destruction.
  class subscription {
   public:
    subscription() = default;
    subscription(group_evaluator* owner, std::list<subscriber>::iterator it) : owner_(owner), it_(it) {}
    subscription(subscription&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)), it_(o.it_) {}
    subscription& operator=(subscription&& o) noexcept;
    ~subscription();

   private:
    group_evaluator* owner_ = nullptr;
    std::list<subscriber>::iterator it_;
  };

  group_evaluator(asio::any_io_executor ex, const offset_store& store, evaluator_options options,
                  std::chrono::milliseconds coalesce, std::chrono::milliseconds full_pass_interval);
  ~group_evaluator();
  group_evaluator(const group_evaluator&) = delete;
  group_evaluator& operator=(const group_evaluator&) = delete;

  void start();
  void stop();

  /// From the store's change listener (io thread).
  void on_store_change(const std::string& cluster, const std::string& group, bool removed);
  [[nodiscard]] subscription subscribe(subscriber s);

  /// The kept status (all partitions), or nullptr when the group is unknown.
  const group_status* status(std::string_view cluster, std::string_view group) const;
  /// Calls f for every kept status of `cluster` (empty = all clusters), in (cluster, group) order.
  void for_each(std::string_view cluster, const std::function<void(const group_status&)>& f) const;
  std::size_t size() const;
  const evaluator_stats& stats() const;

  /// Evaluates dirty groups now (tests and shutdown use it; the tick calls it).
  void flush();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::list<subscriber> subscribers_;
};

}  // namespace warren
