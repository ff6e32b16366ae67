#include "service/evaluator/group_evaluator.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <optional>
#include <set>

#include "service/core/actor.hpp"
#include "service/core/feed.hpp"
#include "service/core/log.hpp"
#include "service/evaluator/coalescer.hpp"
#include "service/evaluator/status_pack.hpp"
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

}  // namespace

std::string status_event::key() const {
  std::string k;
  k.reserve(cluster.size() + group.size() + 1);
  k.append(cluster).push_back('\0');
  k.append(group);
  return k;
}

// A kept status, packed, and its generation: a process-wide counter value taken whenever the kept
// status changes in any field but the evaluation time (new, re-evaluated to something different), so
// a reader that caches something derived from it (a rendered body) can tell whether it is current.
struct kept_status {
  packed_status packed;
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
  struct held_cluster {
    std::set<std::string, std::less<>> groups;  // changed while held, not yet evaluated
    std::chrono::steady_clock::time_point since;  // held, or its groups last moved to dirty
    std::chrono::steady_clock::time_point started;  // held
    std::chrono::milliseconds flush;
    std::optional<std::uint64_t> release_after;  ///< release() came: released once the store finished this batch
  };
  std::map<std::string, held_cluster, std::less<>> held;
  std::vector<std::pair<std::string, std::string>> removed;
  evaluator_stats stats;
  group_view view;  // reused between evaluations
  status_packer packer;
  packed_status spare;     // the fresh status packed; swapped with the kept one
  group_status previous_;  // a kept status unpacked to compare partition statuses
  feed<status_event> out;
  actor self;  // last: its loops capture this

  // ---- change_sink: called by the store (io thread); only queues ----
  void group_changed(const std::string& cluster, const std::string& group) override {
    if (auto h = held.find(cluster); h != held.end()) {
      ++stats.held_marks;
      h->second.groups.insert(group);
      const auto now = time.steady();
      if (now - h->second.since < h->second.flush) return;
      h->second.since = now;  // a long replay: what it has read so far is evaluated now and then
      unhold(cluster, h->second);
      return;
    }
    dirty.emplace(cluster, group);
    policy.mark(time.steady());
    if (idle) wake.cancel();
  }
  // Moves a held cluster's changed groups to the dirty set.
  void unhold(const std::string& cluster, held_cluster& h) {
    if (h.groups.empty()) return;
    for (auto& g : h.groups) dirty.emplace(cluster, g);
    h.groups.clear();
    policy.mark(time.steady());
    if (idle) wake.cancel();
  }
  void batch_done(std::uint64_t n) override {
    for (auto h = held.begin(); h != held.end();) {
      if (h->second.release_after && n >= *h->second.release_after) {
        unhold(h->first, h->second);
        h = held.erase(h);
      } else {
        ++h;
      }
    }
  }
  void group_removed(const std::string& cluster, const std::string& group) override {
    if (auto h = held.find(cluster); h != held.end()) h->second.groups.erase(group);
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
        auto previous = it->second.packed.status();
        forget(it->second);
        groups.erase(it);
        ++stats.removals;
        publish(cluster, group, previous);
      }
      return;
    }
    ++stats.evaluations;
    stats.partitions += view.partitions.size();
    const auto fresh = evaluate_group(cluster, group, view, now, options);
    packer.pack(fresh, spare);
    if (it == groups.end()) {
      it = groups.emplace(group, kept_status{}).first;
      it->second.generation = ++generations;
      keep(it->second, spare);
      publish(cluster, group, status_code::notfound);
      return;
    }
    auto& k = it->second;
    bool changed = false;
    if (!k.packed.same_content(spare)) {  // equal bytes: equal in every field but the time
      packer.unpack(k.packed, cluster, group, previous_);
      changed = statuses_differ(previous_, fresh);
      k.generation = ++generations;
    }
    const auto previous = k.packed.status();
    keep(k, spare);
    if (changed) publish(cluster, group, previous);
  }

  // The fresh packed status becomes the kept one; the old buffer is the next spare.
  void keep(kept_status& k, packed_status& fresh) {
    stats.kept_bytes += fresh.heap_bytes();
    stats.kept_bytes -= k.packed.heap_bytes();
    std::swap(k.packed, fresh);
  }
  void forget(kept_status& k) { stats.kept_bytes -= k.packed.heap_bytes(); }

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
      // Evaluated when released; a hold that outlasts its flush period (a replay stuck behind a
      // broker outage, say) no longer keeps the clock's verdicts (STOP, expiry) from the cluster.
      if (auto h = held.find(c); h != held.end() && time.steady() - h->second.started < h->second.flush) continue;
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
      // A held cluster's changes wait at most its flush period and one pass interval, even when no
      // further change comes.
      for (auto& [c, h] : held)
        if (time.steady() - h.since >= h.flush) {
          h.since = time.steady();
          unhold(c, h);
        }
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

namespace {
// Calls f(cluster, group, kept) for every kept status after (cluster, group) until f returns false.
template <class Kept, class F>
void walk_after(const Kept& kept, std::string_view cluster, std::string_view group, F&& f) {
  auto c = kept.lower_bound(cluster);
  if (c == kept.end()) return;
  auto g = c->first == cluster ? c->second.upper_bound(group) : c->second.begin();
  while (true) {
    for (; g != c->second.end(); ++g)
      if (!f(c->first, g->first, g->second)) return;
    if (++c == kept.end()) return;
    g = c->second.begin();
  }
}

template <class Kept>
const kept_status* find_kept(const Kept& kept, std::string_view cluster, std::string_view group) {
  auto c = kept.find(cluster);
  if (c == kept.end()) return nullptr;
  auto g = c->second.find(group);
  return g == c->second.end() ? nullptr : &g->second;
}
}  // namespace

std::optional<group_status> group_evaluator::status(std::string_view cluster, std::string_view group) const {
  std::optional<group_status> out;
  if (!status(cluster, group, out.emplace())) out.reset();
  return out;
}

bool group_evaluator::status(std::string_view cluster, std::string_view group, group_status& out) const {
  const auto* k = find_kept(impl_->kept, cluster, group);
  if (!k) return false;
  impl_->packer.unpack(k->packed, cluster, group, out);
  return true;
}

std::optional<kept_info> group_evaluator::info(std::string_view cluster, std::string_view group) const {
  const auto* k = find_kept(impl_->kept, cluster, group);
  if (!k) return std::nullopt;
  return kept_info{k->generation, k->packed.evaluated_at(), k->packed.status()};
}

void group_evaluator::for_each(std::string_view cluster, const std::function<void(const group_status&)>& f) const {
  group_status s;
  for (const auto& [c, groups] : impl_->kept) {
    if (!cluster.empty() && c != cluster) continue;
    for (const auto& [g, k] : groups) {
      impl_->packer.unpack(k.packed, c, g, s);
      f(s);
    }
  }
}

void group_evaluator::for_each_after(std::string_view cluster, std::string_view group,
                                     const std::function<bool(const group_status&, std::uint64_t)>& f,
                                     bool with_partitions) const {
  group_status s;
  walk_after(impl_->kept, cluster, group, [&](const std::string& c, const std::string& g, const kept_status& k) {
    impl_->packer.unpack(k.packed, c, g, s, with_partitions);
    return f(s, k.generation);
  });
}

void group_evaluator::for_each_fields_after(
    std::string_view cluster, std::string_view group,
    const std::function<bool(const group_status&, std::span<const partition_fields>)>& f) const {
  group_status s;
  std::vector<partition_fields> parts;
  walk_after(impl_->kept, cluster, group, [&](const std::string& c, const std::string& g, const kept_status& k) {
    impl_->packer.unpack(k.packed, c, g, s, parts);
    return f(s, parts);
  });
}

void group_evaluator::for_each_info(std::string_view cluster, std::string_view from,
                                    const std::function<bool(const std::string&, const kept_info&)>& f) const {
  auto c = impl_->kept.find(cluster);
  if (c == impl_->kept.end()) return;
  for (auto g = c->second.lower_bound(from); g != c->second.end(); ++g)
    if (!f(g->first, kept_info{g->second.generation, g->second.packed.evaluated_at(), g->second.packed.status()}))
      return;
}

std::size_t group_evaluator::size() const {
  std::size_t n = 0;
  for (const auto& [c, g] : impl_->kept) n += g.size();
  return n;
}

void group_evaluator::hold(const std::string& cluster, std::chrono::milliseconds flush) {
  const auto now = impl_->time.steady();
  impl_->held.try_emplace(cluster, impl::held_cluster{{}, now, now, flush});
}

void group_evaluator::release(const std::string& cluster, std::uint64_t after_store_batches) {
  auto h = impl_->held.find(cluster);
  if (h == impl_->held.end()) return;
  if (impl_->store.stats().batches_done < after_store_batches) {  // the rest comes with batch_done
    h->second.release_after = after_store_batches;
    return;
  }
  impl_->unhold(cluster, h->second);
  impl_->held.erase(h);
}

bool group_evaluator::held(std::string_view cluster) const { return impl_->held.count(cluster) != 0; }

const evaluator_stats& group_evaluator::stats() const {
  impl_->stats.dirty = impl_->dirty.size();
  for (const auto& [c, h] : impl_->held) impl_->stats.dirty += h.groups.size();
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
