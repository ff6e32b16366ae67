#include "service/evaluator/group_evaluator.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <set>

#include "service/core/actor.hpp"
#include "service/core/feed.hpp"
#include "service/core/log.hpp"
#include "service/evaluator/coalescer.hpp"
#include "service/storage/offset_store.hpp"

namespace warren {
namespace {
// One io-thread turn of a flush or pass evaluates groups until this budget is spent, then yields
// so HTTP, the readers and the hub get their turn.
constexpr auto slice_budget = std::chrono::microseconds(2000);

bool statuses_differ(const group_status& a, const group_status& b) {
  if (a.status != b.status || a.partitions.size() != b.partitions.size()) return true;
  for (std::size_t i = 0; i < a.partitions.size(); ++i) {
    const auto& p = a.partitions[i];
    const auto& q = b.partitions[i];
    if (p.status != q.status || p.partition != q.partition || p.topic != q.topic) return true;
  }
  return false;
}

// Equal in every field but the evaluation time, which changes on every evaluation.
bool same_content(const group_status& kept, group_status& fresh) {
  if (!kept.warren || !fresh.warren) return kept == fresh;
  const auto at = fresh.warren->evaluated_at;
  fresh.warren->evaluated_at = kept.warren->evaluated_at;
  const bool same = kept == fresh;
  fresh.warren->evaluated_at = at;
  return same;
}
}  // namespace

std::string status_event::key() const {
  std::string k;
  k.reserve(cluster.size() + group.size() + 1);
  k.append(cluster).push_back('\0');
  k.append(group);
  return k;
}

// A kept status and its generation: a process-wide counter value taken whenever the kept status
// changes in any field (new, re-evaluated to something different), so a reader that caches
// something derived from it (a rendered body) can tell whether it is still current.
struct kept_status : group_status {
  std::uint64_t generation = 0;
};

struct group_evaluator::impl final : change_sink {
  impl(asio::any_io_executor e, supervisor& sup, const offset_store& st, evaluator_options o,
       std::chrono::milliseconds c, std::chrono::milliseconds f, const clock& clk)
      : ex(e), store(st), options(o), full_interval(f), time(clk), policy(c), wake(e), tick(e), pass_timer(e),
        self(e, sup, "group_evaluator", "", clk) {
    wake.expires_at(std::chrono::steady_clock::time_point::max());
    self.add_loop("flush", [this] { return flush_loop(); });
    self.add_loop("periodic pass", [this] { return pass_loop(); });
    self.on_interrupt([this] {
      wake.cancel();
      tick.cancel();
      pass_timer.cancel();
    });
  }

  asio::any_io_executor ex;
  const offset_store& store;
  evaluator_options options;
  std::chrono::milliseconds full_interval;
  const clock& time;
  coalescer policy;
  asio::steady_timer wake, tick, pass_timer;
  bool idle = false;
  std::map<std::string, std::map<std::string, kept_status, std::less<>>, std::less<>> kept;
  std::uint64_t generations = 0;
  std::set<std::pair<std::string, std::string>> dirty;
  std::vector<std::pair<std::string, std::string>> removed;
  evaluator_stats stats;
  group_view view;  // reused between evaluations
  feed<status_event> out;
  actor self;  // last: its loops capture this

  // ---- change_sink: called by the store (io thread); only queues ----
  void group_changed(const std::string& cluster, const std::string& group) override {
    dirty.emplace(cluster, group);
    policy.mark(time.steady());
    if (idle) wake.cancel();
  }
  void group_removed(const std::string& cluster, const std::string& group) override {
    dirty.erase({cluster, group});
    removed.emplace_back(cluster, group);
    if (idle) wake.cancel();
  }

  void publish(const std::string& cluster, const std::string& group, status_code previous) {
    ++stats.changes;
    out.publish(status_event{cluster, group, previous});
  }

  void evaluate(const std::string& cluster, const std::string& group, timestamp_ms now) {
    const cluster_state* st = store.cluster(cluster);
    auto& groups = kept[cluster];
    auto it = groups.find(group);
    if (!st || !st->view_group(group, now, view)) {
      if (it != groups.end()) {
        auto previous = it->second.status;
        groups.erase(it);
        ++stats.removals;
        publish(cluster, group, previous);
      }
      return;
    }
    ++stats.evaluations;
    stats.partitions += view.partitions.size();
    auto fresh = evaluate_group(cluster, group, view, now, options);
    if (it == groups.end()) {
      groups.emplace(group, kept_status{std::move(fresh), ++generations});
      publish(cluster, group, status_code::notfound);
      return;
    }
    bool changed = statuses_differ(it->second, fresh);
    auto previous = it->second.status;
    if (!same_content(it->second, fresh)) it->second.generation = ++generations;
    static_cast<group_status&>(it->second) = std::move(fresh);
    if (changed) publish(cluster, group, previous);
  }

  void apply_removals() {
    auto work = std::move(removed);
    removed.clear();
    const timestamp_ms now{time.wall_ms()};
    for (const auto& [c, g] : work) evaluate(c, g, now);  // the store no longer has it: removed
  }

  void note_slice(std::chrono::steady_clock::time_point began) {
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    stats.longest_slice_seconds = std::max(stats.longest_slice_seconds, s);
    stats.evaluation_seconds_total += s;
  }

  /// Evaluates `keys` in slices of slice_budget, yielding between slices. Keys that became
  /// removed meanwhile are handled by apply_removals at the top of each slice.
  task<void> evaluate_sliced(const std::vector<std::pair<std::string, std::string>>& keys) {
    std::size_t i = 0;
    while (i < keys.size() && !self.stopping()) {
      auto began = std::chrono::steady_clock::now();
      apply_removals();
      const timestamp_ms now{time.wall_ms()};
      do {
        evaluate(keys[i].first, keys[i].second, now);
        ++i;
      } while (i < keys.size() && (i % 16 != 0 || std::chrono::steady_clock::now() - began < slice_budget));
      note_slice(began);
      if (i < keys.size()) co_await asio::post(ex, asio::use_awaitable);
      self.checkpoint();
    }
  }

  task<void> flush_loop() {
    while (!self.stopping()) {
      self.checkpoint();
      if (dirty.empty() && removed.empty()) {
        idle = true;
        wake.expires_at(std::chrono::steady_clock::time_point::max());
        co_await wake.async_wait(use_nothrow);
        idle = false;
        continue;
      }
      if (!removed.empty()) {
        auto began = std::chrono::steady_clock::now();
        apply_removals();
        note_slice(began);
      }
      if (dirty.empty()) continue;
      auto now = time.steady();
      auto due = policy.due().value_or(now);
      if (due > now) {  // trailing part of a burst: wait for the tick
        tick.expires_after(due - now);
        co_await tick.async_wait(use_nothrow);
        if (self.stopping()) break;
        self.checkpoint();
      }
      std::vector<std::pair<std::string, std::string>> keys(std::make_move_iterator(dirty.begin()),
                                                            std::make_move_iterator(dirty.end()));
      dirty.clear();
      policy.flushed(time.steady(), keys.size());
      ++stats.flushes;
      co_await evaluate_sliced(keys);
      ++stats.flushes_done;
    }
  }

  std::vector<std::pair<std::string, std::string>> everything() const {
    // Everything the store has, plus kept groups it no longer has (they get removed).
    std::vector<std::pair<std::string, std::string>> all;
    for (const auto& c : store.cluster_names()) {
      const auto* st = store.cluster(c);
      if (st)
        for (auto& g : st->groups()) all.emplace_back(c, std::move(g));
      if (auto k = kept.find(c); k != kept.end())
        for (const auto& [g, s] : k->second)
          if (!st || !st->has_group(g)) all.emplace_back(c, g);
    }
    return all;
  }

  task<void> pass_loop() {
    while (!self.stopping()) {
      pass_timer.expires_after(full_interval);
      co_await pass_timer.async_wait(use_nothrow);
      if (self.stopping()) break;
      self.checkpoint();
      auto began = std::chrono::steady_clock::now();
      co_await evaluate_sliced(everything());
      ++stats.passes;
      stats.last_pass_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    }
  }
};

group_evaluator::group_evaluator(asio::any_io_executor ex, supervisor& sup, const offset_store& store,
                                 evaluator_options options, std::chrono::milliseconds coalesce,
                                 std::chrono::milliseconds full_pass_interval, const clock& clk)
    : impl_(std::make_unique<impl>(ex, sup, store, options, coalesce, full_pass_interval, clk)) {}
group_evaluator::~group_evaluator() = default;

void group_evaluator::start() { impl_->self.start(); }
task<void> group_evaluator::stop() { co_await impl_->self.stop(); }

change_sink& group_evaluator::inbox() { return *impl_; }
feed<status_event>& group_evaluator::changes() { return impl_->out; }

const group_status* group_evaluator::status(std::string_view cluster, std::string_view group) const {
  return status(cluster, group, nullptr);
}

const group_status* group_evaluator::status(std::string_view cluster, std::string_view group,
                                            std::uint64_t* generation) const {
  auto c = impl_->kept.find(cluster);
  if (c == impl_->kept.end()) return nullptr;
  auto g = c->second.find(group);
  if (g == c->second.end()) return nullptr;
  if (generation) *generation = g->second.generation;
  return &g->second;
}

void group_evaluator::for_each(std::string_view cluster, const std::function<void(const group_status&)>& f) const {
  for (const auto& [c, groups] : impl_->kept) {
    if (!cluster.empty() && c != cluster) continue;
    for (const auto& [g, s] : groups) f(s);
  }
}

void group_evaluator::for_each_after(std::string_view cluster, std::string_view group,
                                     const std::function<bool(const group_status&, std::uint64_t)>& f) const {
  auto& kept = impl_->kept;
  auto c = kept.lower_bound(cluster);
  if (c == kept.end()) return;
  auto g = c->first == cluster ? c->second.upper_bound(group) : c->second.begin();
  while (true) {
    for (; g != c->second.end(); ++g)
      if (!f(g->second, g->second.generation)) return;
    if (++c == kept.end()) return;
    g = c->second.begin();
  }
}

std::size_t group_evaluator::size() const {
  std::size_t n = 0;
  for (const auto& [c, g] : impl_->kept) n += g.size();
  return n;
}

const evaluator_stats& group_evaluator::stats() const {
  impl_->stats.dirty = impl_->dirty.size();
  return impl_->stats;
}

void group_evaluator::flush_now() {
  auto& d = *impl_;
  d.apply_removals();
  const timestamp_ms now{d.time.wall_ms()};
  auto work = std::move(d.dirty);
  d.dirty.clear();
  for (const auto& [c, g] : work) d.evaluate(c, g, now);
  d.policy.flushed(d.time.steady(), work.size());
}

void group_evaluator::pass_now() {
  auto& d = *impl_;
  d.apply_removals();
  const timestamp_ms now{d.time.wall_ms()};
  for (const auto& [c, g] : d.everything()) d.evaluate(c, g, now);
}

}  // namespace warren
