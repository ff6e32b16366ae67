#pragma once
// change_sink: how the offset store tells its downstream (the evaluator) which groups changed.
// The evaluator owns the queue behind it (a deduplicating set of dirty groups drained by the
// evaluator's own loop), so a store batch never runs evaluation, hub or notifier code inline.
// io thread only.
#include <cstdint>
#include <string>

namespace warren {

class change_sink {
 public:
  virtual ~change_sink() = default;
  /// The group's stored state changed (commit, owner, log-end offset of a topic it consumes).
  virtual void group_changed(const std::string& cluster, const std::string& group) = 0;
  /// The store no longer has the group.
  virtual void group_removed(const std::string& cluster, const std::string& group) = 0;
  /// The store finished its `n`-th batch (store_stats::batches_done), after the calls above
  /// for that batch.
  virtual void batch_done(std::uint64_t n) { (void)n; }
};

}  // namespace warren
