#pragma once
// ready_gate: when `/burrow/admin/ready` may say READY (issue 14), PURE. An offsets reader is
// caught up once it has handed the replayed records to the store; the store's mailbox and then the
// evaluator's dirty set may still hold them, so answers at that instant can show an earlier round
// of commits (tests/bench/snapshot.sh saw it at 1 M partitions). The gate passes in order:
//   1. every reader ready: the store's received-batch count then is the barrier;
//   2. the store has finished that many batches (applied, or dropped as poisoned): every group
//      they changed is marked dirty in the evaluator by then;
//   3. the evaluator has finished the flush in progress then, and the next one if groups were
//      dirty: every group changed by the replay has been evaluated.
// Latched: later traffic never takes READY back. The counters only grow.
#include <cstddef>
#include <cstdint>

namespace warren {

class ready_gate {
 public:
  struct inputs {
    bool readers_ready = false;
    std::uint64_t store_received = 0;   ///< batches accepted into the store's mailbox
    std::uint64_t store_done = 0;       ///< batches the store finished
    std::uint64_t flushes_started = 0;  ///< evaluator dirty flushes begun
    std::uint64_t flushes_done = 0;     ///< evaluator dirty flushes finished
    std::size_t dirty = 0;              ///< groups marked dirty, not yet taken by a flush
  };
  enum class phase { readers, store, evaluator, ready };

  /// Advances with the current counters; true once READY.
  bool update(const inputs& in) {
    switch (phase_) {
      case phase::readers:
        if (!in.readers_ready) return false;
        store_barrier_ = in.store_received;
        phase_ = phase::store;
        [[fallthrough]];
      case phase::store:
        if (in.store_done < store_barrier_) return false;
        flush_target_ = in.flushes_started + (in.dirty > 0 ? 1 : 0);
        phase_ = phase::evaluator;
        [[fallthrough]];
      case phase::evaluator:
        if (in.flushes_done < flush_target_) return false;
        phase_ = phase::ready;
        [[fallthrough]];
      case phase::ready: return true;
    }
    return false;
  }
  phase current() const { return phase_; }

 private:
  phase phase_ = phase::readers;
  std::uint64_t store_barrier_ = 0;
  std::uint64_t flush_target_ = 0;
};

}  // namespace warren
