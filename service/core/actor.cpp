#include "service/core/actor.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>

#include "service/core/clock.hpp"
#include "service/core/log.hpp"

namespace warren {

struct actor::loop {
  loop(asio::any_io_executor ex, std::string n, loop_body b) : name(std::move(n)), body(std::move(b)), backoff(ex), done(ex) {
    done.expires_at(std::chrono::steady_clock::time_point::max());
  }
  std::string name;
  loop_body body;
  asio::steady_timer backoff;  // the wait before a restart; cancelled by stop()
  asio::steady_timer done;     // cancelled when run() has returned
  bool finished = false;
  bool down = false;
};

std::vector<actor_health> supervisor::snapshot() const {
  std::vector<actor_health> out;
  out.reserve(actors_.size());
  for (const auto* a : actors_) out.push_back(a->health());
  return out;
}

bool supervisor::inject_fault(std::string_view kind, std::string_view cluster) {
  bool found = false;
  for (auto* a : actors_)
    if (a->kind() == kind && (a->cluster() == cluster || (a->cluster().empty() && (cluster == "-" || cluster == "_")))) {
      a->request_fault();
      found = true;
    }
  return found;
}

actor::actor(asio::any_io_executor ex, supervisor& sup, std::string kind, std::string cluster, const clock& clk)
    : ex_(ex), sup_(sup), clock_(clk) {
  health_.actor = std::move(kind);
  health_.cluster = std::move(cluster);
  reg_ = sup_.actors_.insert(sup_.actors_.end(), this);
}

actor::~actor() { sup_.actors_.erase(reg_); }

void actor::add_loop(std::string name, loop_body body) {
  loops_.push_back(std::make_unique<loop>(ex_, std::move(name), std::move(body)));
}

void actor::start() {
  if (started_) return;
  started_ = true;
  for (auto& l : loops_) {
    loop* raw = l.get();
    asio::co_spawn(ex_, run(*raw), [this, raw](std::exception_ptr e) {
      // run() catches everything; this only fires if the frame itself failed (allocation).
      if (e) log_error(health_.actor, health_.cluster, ": supervisor of loop ", raw->name, " failed");
      raw->finished = true;
      raw->done.cancel();
    });
  }
}

task<void> actor::run(loop& l) {
  const auto& opt = sup_.options();
  auto backoff = opt.initial_backoff;
  while (!stopping_) {
    const auto began = clock_.steady();
    std::string reason;
    try {
      co_await l.body();
      if (stopping_) break;
      reason = "loop returned while running";
    } catch (const std::exception& e) {
      reason = e.what();
    } catch (...) {
      reason = "unknown exception";
    }
    if (stopping_) break;
    if (clock_.steady() - began >= opt.stable_after) backoff = opt.initial_backoff;
    ++health_.restarts;
    health_.last_error = reason;
    health_.last_failure_ms = clock_.wall_ms();
    l.down = true;
    health_.up = false;
    log_error(health_.actor, (health_.cluster.empty() ? "" : health_.cluster + ": "), l.name, " failed: ", reason,
              "; restart ", health_.restarts, " in ", backoff.count(), " ms");
    if (sup_.changed_) sup_.changed_(*this);
    l.backoff.expires_after(backoff);
    co_await l.backoff.async_wait(use_nothrow);
    backoff = std::min(backoff * 2, opt.max_backoff);
    l.down = false;
    health_.up = true;
    for (const auto& other : loops_) health_.up = health_.up && !other->down;
    if (!stopping_) {
      log_info(health_.actor, (health_.cluster.empty() ? "" : health_.cluster + ": "), l.name, " restarting");
      if (sup_.changed_) sup_.changed_(*this);
    }
  }
  l.finished = true;
  l.done.cancel();
}

task<void> actor::stop() {
  stopping_ = true;
  if (interrupt_) interrupt_();
  for (auto& l : loops_) l->backoff.cancel();
  for (auto& l : loops_)
    if (started_ && !l->finished) co_await l->done.async_wait(use_nothrow);
}

void actor::checkpoint() {
  if (!fault_requested_) return;
  fault_requested_ = false;
  throw injected_fault();
}

void actor::note_failure(const std::string& what) {
  ++health_.restarts;
  health_.last_error = what;
  health_.last_failure_ms = clock_.wall_ms();
  log_error(health_.actor, (health_.cluster.empty() ? "" : health_.cluster + ": "), what);
}

void actor::request_fault() {
  fault_requested_ = true;
  if (interrupt_) interrupt_();
}

}  // namespace warren
