#pragma once
// The one actor skeleton every Warren actor uses (design.md §1). An actor is a set of loops
// (coroutines) on the io thread, each run under supervision: a loop that throws is logged with
// the actor, cluster and reason, counted, and restarted after an exponential backoff (capped);
// the actor's state lives in its owner and survives the restart, so each loop must be written
// to resume from that state (a reader from its last positions, a poller with a fresh round).
// stop() ends every loop for good and completes when all have returned.
//
// Every actor registers in a `supervisor`, which /v3/health and /metrics read
// (`warren_actor_up`, `warren_actor_restarts_total`). Tests inject faults through
// supervisor::inject_fault (the process enables it only with WARREN_FAULT_INJECTION=1): the next
// checkpoint() of that actor's loops throws `injected_fault`.
//
// io thread only: no locks.
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "service/core/async.hpp"
#include "service/core/health.hpp"

namespace warren {
class clock;

/// Thrown by actor::checkpoint() when a test asked for a fault.
struct injected_fault : std::runtime_error {
  injected_fault() : std::runtime_error("injected fault (test)") {}
};

struct supervision_options {
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{30000};
  /// A loop that ran this long without throwing starts the next backoff from initial_backoff.
  std::chrono::milliseconds stable_after{60000};
};

class actor;

/// The registry of actors. Owned by the app; outlives every actor.
class supervisor {
 public:
  explicit supervisor(supervision_options o = {}) : options_(o) {}
  supervisor(const supervisor&) = delete;
  supervisor& operator=(const supervisor&) = delete;

  std::vector<actor_health> snapshot() const;
  /// Called whenever an actor goes down (failure) or comes back up (restart).
  void on_change(std::function<void(const actor&)> f) { changed_ = std::move(f); }
  /// Asks the actor (kind, cluster) to fail at its next checkpoint. False when no such actor.
  bool inject_fault(std::string_view kind, std::string_view cluster);
  const supervision_options& options() const { return options_; }

 private:
  friend class actor;
  supervision_options options_;
  std::list<actor*> actors_;
  std::function<void(const actor&)> changed_;
};

class actor {
 public:
  using loop_body = std::function<task<void>()>;

  actor(asio::any_io_executor ex, supervisor& sup, std::string kind, std::string cluster,
        const clock& clk);
  ~actor();
  actor(const actor&) = delete;
  actor& operator=(const actor&) = delete;

  /// Adds a supervised loop; call before start(). The body returns normally only when stopping.
  void add_loop(std::string name, loop_body body);
  /// Called by stop() and by inject_fault() to interrupt the loops' waits (cancel timers, wakers).
  void on_interrupt(std::function<void()> f) { interrupt_ = std::move(f); }
  void start();
  /// Ends every loop; completes when all of them have returned.
  task<void> stop();

  bool stopping() const { return stopping_; }
  /// Throws injected_fault when a fault was requested for this actor (once per request).
  void checkpoint();
  /// Records a failure that the actor handled itself (e.g. an exception in one subscriber's
  /// event): counted like a restart, logged, the actor stays up.
  void note_failure(const std::string& what);

  const actor_health& health() const { return health_; }
  const std::string& kind() const { return health_.actor; }
  const std::string& cluster() const { return health_.cluster; }
  asio::any_io_executor executor() const { return ex_; }
  const clock& time() const { return clock_; }

 private:
  friend class supervisor;
  struct loop;
  task<void> run(loop& l);
  void request_fault();

  asio::any_io_executor ex_;
  supervisor& sup_;
  const clock& clock_;
  actor_health health_;
  std::list<std::unique_ptr<loop>> loops_;
  std::function<void()> interrupt_;
  bool stopping_ = false;
  bool started_ = false;
  bool fault_requested_ = false;
  std::list<actor*>::iterator reg_;
};

}  // namespace warren
