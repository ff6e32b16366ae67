#include "service/evaluator/group_evaluator.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <set>

#include "service/core/clock.hpp"
#include "service/core/log.hpp"
#include "service/storage/offset_store.hpp"

namespace warren {
namespace {
constexpr std::size_t pass_slice = 1000;  // groups evaluated between two yields of a full pass

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

group_evaluator::subscription& group_evaluator::subscription::operator=(subscription&& o) noexcept {
  if (this != &o) {
    if (owner_) owner_->subscribers_.erase(it_);
    owner_ = std::exchange(o.owner_, nullptr);
    it_ = o.it_;
  }
  return *this;
}
group_evaluator::subscription::~subscription() {
  if (owner_) owner_->subscribers_.erase(it_);
}

struct group_evaluator::impl {
  impl(group_evaluator& s, asio::any_io_executor e, const offset_store& st, evaluator_options o,
       std::chrono::milliseconds c, std::chrono::milliseconds f)
      : self(s), ex(e), store(st), options(o), coalesce(c), full_interval(f), tick(e), pass_timer(e) {}

  group_evaluator& self;
  asio::any_io_executor ex;
  const offset_store& store;
  evaluator_options options;
  std::chrono::milliseconds coalesce, full_interval;
  asio::steady_timer tick, pass_timer;
  bool tick_armed = false;
  bool stopping = false;
  std::map<std::string, std::map<std::string, group_status, std::less<>>, std::less<>> kept;
  std::set<std::pair<std::string, std::string>> dirty;
  evaluator_stats stats;
  group_view view;  // reused between evaluations

  void publish(const std::string& cluster, const std::string& group, const group_status* current,
               status_code previous) {
    ++stats.changes;
    group_status_changed ev{cluster, group, current, previous};
    for (auto it = self.subscribers_.begin(); it != self.subscribers_.end();) {
      auto next = std::next(it);  // a subscriber may unsubscribe itself
      (*it)(ev);
      it = next;
    }
  }

  void evaluate(const std::string& cluster, const std::string& group, timestamp_ms now) {
    const cluster_state* st = store.cluster(cluster);
    auto& groups = kept[cluster];
    auto it = groups.find(group);
    if (!st || !st->view_group(group, now, view)) {
      if (it != groups.end()) {
        auto previous = it->second.status;
        groups.erase(it);
        publish(cluster, group, nullptr, previous);
      }
      return;
    }
    ++stats.evaluations;
    stats.partitions += view.partitions.size();
    auto fresh = evaluate_group(cluster, group, view, now, options);
    if (it == groups.end()) {
      auto [ins, ok] = groups.emplace(group, std::move(fresh));
      publish(cluster, group, &ins->second, status_code::notfound);
      return;
    }
    bool changed = statuses_differ(it->second, fresh);
    auto previous = it->second.status;
    it->second = std::move(fresh);
    if (changed) publish(cluster, group, &it->second, previous);
  }

  void flush() {
    if (dirty.empty()) return;
    auto start = std::chrono::steady_clock::now();
    const timestamp_ms now{wall_now_ms()};
    auto work = std::move(dirty);
    dirty.clear();
    for (const auto& [c, g] : work) evaluate(c, g, now);
    stats.evaluation_seconds_total +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  void arm_tick() {
    if (tick_armed || stopping) return;
    tick_armed = true;
    tick.expires_after(coalesce);
    tick.async_wait([this](const boost::system::error_code& ec) {
      tick_armed = false;
      if (ec || stopping) return;
      flush();
    });
  }

  task<void> pass_loop() {
    while (!stopping) {
      pass_timer.expires_after(full_interval);
      auto [ec] = co_await pass_timer.async_wait(use_nothrow);
      if (ec || stopping) co_return;
      auto start = std::chrono::steady_clock::now();
      // Everything the store has, plus kept groups it no longer has (they get removed).
      std::vector<std::pair<std::string, std::string>> all;
      for (const auto& c : store.cluster_names()) {
        if (const auto* st = store.cluster(c))
          for (auto& g : st->groups()) all.emplace_back(c, std::move(g));
        if (auto k = kept.find(c); k != kept.end())
          for (const auto& [g, s] : k->second)
            if (!store.cluster(c) || !store.cluster(c)->has_group(g)) all.emplace_back(c, g);
      }
      for (std::size_t i = 0; i < all.size() && !stopping; ++i) {
        evaluate(all[i].first, all[i].second, timestamp_ms{wall_now_ms()});
        if ((i + 1) % pass_slice == 0) co_await asio::post(ex, asio::use_awaitable);  // let HTTP in
      }
      ++stats.passes;
      stats.last_pass_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      stats.evaluation_seconds_total += stats.last_pass_seconds;
    }
  }
};

group_evaluator::group_evaluator(asio::any_io_executor ex, const offset_store& store, evaluator_options options,
                                 std::chrono::milliseconds coalesce, std::chrono::milliseconds full_pass_interval)
    : impl_(std::make_unique<impl>(*this, ex, store, options, coalesce, full_pass_interval)) {}
group_evaluator::~group_evaluator() = default;

void group_evaluator::start() {
  asio::co_spawn(impl_->ex, impl_->pass_loop(), [](std::exception_ptr e) {
    if (e) log_error("evaluator", "periodic pass ended with an exception");
  });
}

void group_evaluator::stop() {
  impl_->stopping = true;
  impl_->tick.cancel();
  impl_->pass_timer.cancel();
}

void group_evaluator::on_store_change(const std::string& cluster, const std::string& group, bool removed) {
  if (removed) {
    // A removal needs no evaluation: forget the group now, so no reader sees it after the store
    // dropped it.
    impl_->dirty.erase({cluster, group});
    impl_->evaluate(cluster, group, timestamp_ms{wall_now_ms()});
    return;
  }
  impl_->dirty.emplace(cluster, group);
  impl_->arm_tick();
}

group_evaluator::subscription group_evaluator::subscribe(subscriber s) {
  subscribers_.push_back(std::move(s));
  return subscription(this, std::prev(subscribers_.end()));
}

const group_status* group_evaluator::status(std::string_view cluster, std::string_view group) const {
  auto c = impl_->kept.find(cluster);
  if (c == impl_->kept.end()) return nullptr;
  auto g = c->second.find(group);
  return g == c->second.end() ? nullptr : &g->second;
}

void group_evaluator::for_each(std::string_view cluster, const std::function<void(const group_status&)>& f) const {
  for (const auto& [c, groups] : impl_->kept) {
    if (!cluster.empty() && c != cluster) continue;
    for (const auto& [g, s] : groups) f(s);
  }
}

std::size_t group_evaluator::size() const {
  std::size_t n = 0;
  for (const auto& [c, g] : impl_->kept) n += g.size();
  return n;
}

const evaluator_stats& group_evaluator::stats() const { return impl_->stats; }
void group_evaluator::flush() { impl_->flush(); }

}  // namespace warren
