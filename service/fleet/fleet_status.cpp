#include "service/fleet/fleet_status.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "service/config/config.hpp"
#include "service/core/actor.hpp"
#include "service/core/clock.hpp"
#include "service/core/feed.hpp"
#include "service/core/log.hpp"
#include "service/core/offload.hpp"
#include "service/evaluator/group_evaluator.hpp"
#include "service/http/burrow_json.hpp"
#include "service/kafka/consumer.hpp"
#include "service/kafka/metadata.hpp"
#include "service/kafka/producer.hpp"
#include "service/kafka/waker.hpp"
#include "service/storage/snapshot.hpp"

namespace warren::fleet {

namespace {
constexpr int admin_timeout_ms = 10000;
constexpr int flush_timeout_ms = 3000;  // revocation hand-off and shutdown: bounded
constexpr auto tick = std::chrono::milliseconds(250);
constexpr std::size_t poll_max = 1000;
constexpr std::size_t publish_slice = 512;  // records produced per io-thread turn by the tick
constexpr auto scan_slice = std::chrono::milliseconds(2);  // one io-thread turn of the lag-change scan
// Larger than the broker's 1 MB default: a group with thousands of partitions renders big.
constexpr const char* max_record_bytes = "8388608";
}  // namespace

struct fleet_status::impl {
  // What decides a re-publication besides the status: the lags and commits (the evaluator reports
  // only status changes, so lag-only changes are found by a scan every publish-interval).
  static std::uint64_t fingerprint(const group_status& g) {
    std::uint64_t h = 1469598103934665603ULL;
    auto mix = [&h](std::uint64_t v) {
      h ^= v;
      h *= 1099511628211ULL;
    };
    mix(static_cast<std::uint64_t>(g.status));
    mix(g.totallag);
    mix(g.partition_count);
    for (const auto& p : g.partitions) {
      mix(static_cast<std::uint64_t>(p.status));
      mix(p.current_lag);
      mix(p.end ? static_cast<std::uint64_t>(p.end->offset) : ~0ULL);
      mix(std::hash<std::string>{}(p.owner));
    }
    return h;
  }

  struct published {
    std::uint64_t fingerprint = 0;
    std::uint64_t generation = 0;  // the kept status's generation when last compared (not unpacked while unchanged)
    status_code status = status_code::notfound;
    std::int64_t at = 0;  // wall ms of the last produce
    std::optional<notifier_record> notifier;
  };

  impl(asio::any_io_executor e, supervisor& sup, blocking_pool& p, const consumer_module& m,
       kafka::client_settings s, group_evaluator& ev, owner_ref me, const clock& clk)
      : ex(e), pool(p), module(m), settings(std::move(s)), evaluator(ev), self_ref(std::move(me)), time(clk),
        tick_timer(e) {
    stats.status_topic = module.status_topic;
    self = std::make_unique<actor>(ex, sup, "fleet_status", module.cluster, clk);
    sub = std::make_unique<subscriber<status_event>>(evaluator.changes(), ex,
                                                     [this](status_event& ev2) { on_event(ev2); });
    self->add_loop("status topic", [this] { return read(); });
    self->add_loop("status changes", [this] { return sub->drain(*self); });
    self->add_loop("publish", [this] { return publish_loop(); });
    self->on_interrupt([this] {
      sub->interrupt();
      tick_timer.cancel();
      if (waker) waker->cancel();
    });
  }

  // ---- ownership ---------------------------------------------------------------------------
  bool owns_group(const std::string& group) const {
    if (stats.offsets_partitions <= 0) return false;
    return owned.contains(snapshot::offsets_partition_for(group, stats.offsets_partitions));
  }

  // ---- publisher -----------------------------------------------------------------------------
  void on_event(const status_event& e) {
    if (e.cluster != module.cluster) return;
    const auto current = evaluator.status(e.cluster, e.group);
    if (!current) {
      // Removed by its owner (deleted, expired): a tombstone. A revoked partition's groups were
      // taken out of `owned` by before_revoke before the store forgot them: no tombstone.
      auto it = last.find(e.group);
      const bool had = it != last.end();
      if (had) last.erase(it);
      dirty.erase(e.group);
      if (had && owns_group(e.group)) produce(e.group, std::nullopt);
      return;
    }
    if (!owns_group(e.group)) return;
    auto it = last.find(e.group);
    if (it == last.end() || it->second.status != current->status) publish(e.group, *current);
    else dirty.insert(e.group);
  }

  void notifier_changed(const std::string& group) {
    if (!owns_group(group)) return;
    if (const auto current = evaluator.status(module.cluster, group)) publish(group, *current);
  }

  void publish(const std::string& group, const group_status& g) {
    if (!producer || !stats.topic_ready) {  // not set up yet: published by the tick once it is
      dirty.insert(group);
      return;
    }
    status_record r;
    r.group = group;
    r.owner = self_ref;
    r.evaluated_at = g.warren ? g.warren->evaluated_at : time.wall_ms();
    r.status_json = status_object_json(g, /*problems_only=*/true);  // v2: the `/status` object
    if (notifier) {
      if (auto n = notifier(group)) r.notifier = std::move(*n);
    }
    auto& p = last[group];
    p.fingerprint = fingerprint(g);
    const auto k = evaluator.info(module.cluster, group);
    p.generation = k ? k->generation : 0;
    p.status = g.status;
    p.at = time.wall_ms();
    p.notifier = r.notifier;
    dirty.erase(group);
    produce(group, encode_value(r));
  }

  void produce(const std::string& group, std::optional<std::string> value) {
    if (!producer) return;
    auto err = producer->produce(group, value ? std::optional<std::string_view>(*value) : std::nullopt);
    if (!err.empty()) {
      ++stats.produce_errors;
      if (value) dirty.insert(group);  // retried by the tick
      log_warn("fleet", module.name, ": cannot publish ", group, " to ", module.status_topic, ": ", err);
      return;
    }
    ++stats.published;
    if (!value) ++stats.tombstones_published;
  }

  void delivered(const std::string& group, int code, const std::string& error) {
    if (code == 0) {
      ++stats.delivered;
      return;
    }
    ++stats.delivery_failures;
    if (stats.delivery_failures == 1 || stats.delivery_failures % 1000 == 0)
      log_warn("fleet", module.name, ": delivery to ", module.status_topic, " failed (", stats.delivery_failures,
               " so far): ", error);
    if (evaluator.has_status(module.cluster, group)) dirty.insert(group);
  }

  /// Marks dirty the published groups whose fingerprint changed. Only a group whose kept status
  /// changed since it was published (its generation) is unpacked; the walk yields every couple of
  /// milliseconds and resumes by key, so a million partitions never hold the io thread.
  task<void> scan_lag_changes() {
    std::string from;
    group_status g;
    bool more = true;
    while (more && !self->stopping()) {
      more = false;
      const auto began = std::chrono::steady_clock::now();
      std::size_t n = 0;
      evaluator.for_each_info(module.cluster, from, [&](const std::string& group, const kept_info& k) {
        auto l = last.find(group);
        if (l != last.end() && l->second.generation != k.generation &&
            evaluator.status(module.cluster, group, g)) {
          if (l->second.fingerprint != fingerprint(g)) dirty.insert(group);
          else l->second.generation = k.generation;  // same fingerprint: not unpacked again
        }
        if (++n % 64 == 0 && std::chrono::steady_clock::now() - began > scan_slice) {
          from = group;
          from.push_back('\0');  // the next group name after this one
          more = true;
          return false;
        }
        return true;
      });
      ++stats.lag_scan_slices;
      if (more) co_await asio::post(ex, asio::use_awaitable);
    }
  }

  task<void> publish_loop() {
    while (!self->stopping()) {
      self->checkpoint();
      tick_timer.expires_after(tick);
      co_await tick_timer.async_wait(use_nothrow);
      if (!producer || !stats.topic_ready) continue;
      const auto now = time.wall_ms();
      const auto interval = std::chrono::duration_cast<std::chrono::milliseconds>(module.publish_interval).count();
      if (now >= next_scan) {  // lag-only changes of owned groups
        next_scan = now + interval;
        co_await scan_lag_changes();
      }
      if (dirty.empty()) continue;
      std::size_t n = 0;
      for (auto it = dirty.begin(); it != dirty.end() && !self->stopping();) {
        const std::string group = *it;
        ++it;
        auto l = last.find(group);
        if (l != last.end() && now - l->second.at < interval) continue;
        const auto current = evaluator.status(module.cluster, group);
        if (!current || !owns_group(group)) {
          dirty.erase(group);
          continue;
        }
        publish(group, *current);  // erases `group` from dirty; `it` stays valid
        if (++n % publish_slice == 0) co_await asio::post(ex, asio::use_awaitable);
      }
    }
  }

  task<void> before_revoke(std::vector<std::int32_t> ps, bool lost) {
    std::set<std::int32_t> revoked(ps.begin(), ps.end());
    if (!lost && producer && stats.topic_ready && stats.offsets_partitions > 0) {
      // The latest state of every group of the revoked partitions, then a bounded flush, so the
      // next owner (assigned only after this revocation completes) reads it.
      std::vector<std::string> groups;
      evaluator.for_each_info(module.cluster, "", [&](const std::string& g, const kept_info&) {
        if (revoked.contains(snapshot::offsets_partition_for(g, stats.offsets_partitions))) groups.push_back(g);
        return true;
      });
      for (const auto& g : groups)
        if (const auto current = evaluator.status(module.cluster, g)) publish(g, *current);
      auto* p = producer.get();
      std::function<int()> flush = [p] { return p->flush(flush_timeout_ms); };
      const int left = co_await pool.offload(std::move(flush));
      log_info("fleet", module.name, ": revoked ", ps.size(), " partition(s): published ", groups.size(),
               " group(s)", left ? ", " + std::to_string(left) + " record(s) not confirmed in time" : std::string());
    }
    for (auto p : ps) owned.erase(p);
    for (auto it = last.begin(); it != last.end();) {
      if (!owns_group(it->first)) {
        dirty.erase(it->first);
        it = last.erase(it);
      } else {
        ++it;
      }
    }
  }

  task<void> on_gain(std::vector<std::int32_t> ps) {
    for (auto p : ps) owned.insert(p);
    sync_since = std::chrono::steady_clock::now();
    stats.synced = false;
    if (stats.topic_ready) co_await sample_targets();
    // Groups of the gained partitions usually reach the evaluator later (published when it reports
    // them); ones it already holds (restored from a snapshot, evaluated while not owned) are
    // published now, so the topic names this instance as their owner.
    std::set<std::int32_t> gained(ps.begin(), ps.end());
    std::vector<std::string> held;
    evaluator.for_each_info(module.cluster, "", [&](const std::string& g, const kept_info&) {
      if (stats.offsets_partitions > 0 && gained.contains(snapshot::offsets_partition_for(g, stats.offsets_partitions)))
        held.push_back(g);
      return true;
    });
    for (const auto& g : held)
      if (const auto current = evaluator.status(module.cluster, g)) publish(g, *current);
  }

  // ---- reader ------------------------------------------------------------------------------
  task<void> sample_targets() {
    auto* p = producer.get();
    std::vector<std::int32_t> all;
    for (std::int32_t i = 0; i < stats.topic_partitions; ++i) all.push_back(i);
    std::map<std::string, std::vector<std::int32_t>> query{{module.status_topic, all}};
    std::function<kafka::end_offsets_result()> ask = [p, query] {
      return kafka::list_offsets(p->raw(), query, -1, admin_timeout_ms);
    };
    auto r = co_await pool.offload(std::move(ask));
    auto it = r.offsets.find(module.status_topic);
    if (!r.ok || it == r.offsets.end()) {
      log_warn("fleet", module.name, ": cannot read the end offsets of ", module.status_topic, ": ", r.error,
               "; the notifier waits for the sync timeout");
      targets.assign(static_cast<std::size_t>(stats.topic_partitions), INT64_MAX);
      co_return;
    }
    targets = it->second;
    check_synced();
  }

  bool read_to_targets() const {
    bool done = targets.size() == static_cast<std::size_t>(stats.topic_partitions) && stats.topic_ready;
    for (std::size_t i = 0; done && i < targets.size(); ++i)
      if (targets[i] > 0 && next[i] < targets[i]) done = false;
    return done;
  }
  bool synced_now() const {
    return stats.synced || read_to_targets() || std::chrono::steady_clock::now() - sync_since >= module.status_sync_timeout;
  }
  void check_synced() {
    if (stats.synced) return;
    if (!read_to_targets() && std::chrono::steady_clock::now() - sync_since >= module.status_sync_timeout)
      log_warn("fleet", module.name, ": ", module.status_topic, " not read to its end within ", module.status_sync_timeout.count(),
               " s; the notifier goes on with what was read");
    stats.synced = synced_now();
  }

  task<void> setup() {
    if (!producer) {
      producer = std::make_unique<kafka::record_producer>(
          // Never let a metadata request auto-create the topic with the broker's defaults (not
          // compacted): setup() creates it.
          ex, settings,
          std::map<std::string, std::string>{
              {"linger.ms", "20"}, {"message.max.bytes", max_record_bytes}, {"allow.auto.create.topics", "false"}},
          module.status_topic, [this](const std::string& g, int code, const std::string& e) { delivered(g, code, e); });
    }
    auto* p = producer.get();
    const std::string offsets_topic = module.offsets_topic, topic = module.status_topic;
    struct found {
      std::string error;
      std::int32_t offsets_partitions = 0, topic_partitions = 0;
    };
    std::function<found()> prepare = [p, offsets_topic, topic] {
      found f;
      auto md = kafka::fetch_metadata(p->raw(), offsets_topic, admin_timeout_ms);
      if (!md.ok) return found{"metadata of " + offsets_topic + ": " + md.error, 0, 0};
      if (auto it = md.topics.find(offsets_topic); it != md.topics.end()) f.offsets_partitions = it->second.partition_count;
      if (f.offsets_partitions <= 0) return found{"offsets topic " + offsets_topic + " has no partitions", 0, 0};
      auto st = kafka::fetch_metadata(p->raw(), topic, admin_timeout_ms);
      auto it = st.topics.find(topic);
      if (!st.ok || it == st.topics.end() || it->second.partition_count <= 0) {
        const int want = f.offsets_partitions > 0 ? f.offsets_partitions : 6;
        auto err = kafka::create_topic(p->raw(), topic, want,
                                       {{"cleanup.policy", "compact"}, {"max.message.bytes", max_record_bytes}},
                                       admin_timeout_ms);
        if (!err.empty()) return found{"cannot create " + topic + ": " + err, f.offsets_partitions, 0};
        for (int attempt = 0; attempt < 20; ++attempt) {  // metadata lags creation a little
          st = kafka::fetch_metadata(p->raw(), topic, admin_timeout_ms);
          it = st.topics.find(topic);
          if (st.ok && it != st.topics.end() && it->second.partition_count > 0) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(250));  // on the pool, not the io thread
        }
        if (!st.ok || it == st.topics.end() || it->second.partition_count <= 0)
          return found{"created " + topic + " but its metadata does not show it", f.offsets_partitions, 0};
      }
      f.topic_partitions = it->second.partition_count;
      return f;
    };
    auto f = co_await pool.offload(std::move(prepare));
    if (!f.error.empty()) {
      if (stats.topic_error != f.error) log_error("fleet", module.name, ": ", f.error);
      stats.topic_error = f.error;
      throw std::runtime_error(f.error);  // reported in /v3/health, retried with backoff
    }
    stats.offsets_partitions = f.offsets_partitions;
    stats.topic_partitions = f.topic_partitions;
    next.resize(static_cast<std::size_t>(f.topic_partitions), -2);
    log_info("fleet", module.name, ": status topic ", topic, " (", f.topic_partitions, " partitions) as ",
             self_ref.id, " ", self_ref.url);
  }

  task<void> discard_consumer() {
    waker.reset();
    if (!consumer) co_return;
    std::function<void()> close = [c = consumer.get()] { c->close(); };
    co_await pool.offload(std::move(close));
    consumer.reset();
  }

  task<void> read() {
    co_await discard_consumer();
    if (!stats.topic_ready) {
      co_await setup();
      stats.topic_ready = true;
      stats.topic_error.clear();
      co_await sample_targets();
      // Groups this instance already owns: publish them (they were dirty before the producer).
      evaluator.for_each(module.cluster, [&](const group_status& g) {
        if (owns_group(g.group)) dirty.insert(g.group);
      });
    }
    kafka::client_settings s = settings;
    consumer = std::make_unique<kafka::topic_consumer>(s, module.status_topic);
    std::vector<std::int32_t> all;
    for (std::int32_t i = 0; i < stats.topic_partitions; ++i) all.push_back(i);
    consumer->assign(all, next);  // -2 = beginning; after a restart, where reading stopped
    waker = std::make_unique<kafka::queue_waker>(ex, consumer->wake_queue());
    std::vector<kafka::fetched> records;
    std::vector<kafka::consumer_event> events;
    while (!self->stopping()) {
      self->checkpoint();
      records.clear();
      events.clear();
      const std::size_t n = consumer->poll_batch(poll_max, records, events);
      for (const auto& r : records) {
        ++stats.records_read;
        auto d = decode(r.key, r.value);
        if (auto* e = std::get_if<decode_error>(&d)) {
          const auto i = static_cast<std::size_t>(*e);
          if (stats.decode_errors[i]++ == 0)
            log_warn("fleet", module.name, ": ", module.status_topic, " partition ", r.partition, " offset ", r.offset,
                     ": record rejected (", to_string(*e), "); such records are counted and skipped");
        } else if (std::holds_alternative<tombstone>(d)) {
          ++stats.tombstones_read;
        }
        apply(std::move(d), r.partition, r.offset);
        if (r.partition >= 0 && static_cast<std::size_t>(r.partition) < next.size())
          next[static_cast<std::size_t>(r.partition)] = std::max(next[static_cast<std::size_t>(r.partition)], r.offset + 1);
      }
      consumer->release();
      check_synced();
      if (n == 0) co_await waker->wait(std::chrono::milliseconds(500));
      else co_await asio::post(ex, asio::use_awaitable);
    }
    co_await discard_consumer();
  }

  // One record into remote_status; the listener (the ws hub) hears of a change the stream shows:
  // a new or removed group, or another status, owner or partition shape (lag-only records not).
  void apply(decoded&& d, std::int32_t partition, std::int64_t offset) {
    std::string group;
    if (const auto* r = std::get_if<decoded_record>(&d)) group = r->record.group;
    else if (const auto* t = std::get_if<tombstone>(&d)) group = t->group;
    else return;
    struct seen {
      status_code status;
      std::string owner;
      std::uint64_t shape;
    };
    std::optional<seen> before;
    if (const auto* e = remote.find(group)) before = seen{e->status, e->owner.id, e->shape};
    if (remote.apply(std::move(d), partition, offset) == remote_status::outcome::ignored || !listener) return;
    const auto* now = remote.find(group);
    const bool shown = !before || !now || before->status != now->status || before->owner != now->owner.id ||
                       before->shape != now->shape;
    if (shown) listener(group, before ? before->status : status_code::notfound);
  }

  task<void> stop() {
    co_await self->stop();
    co_await discard_consumer();
    if (producer) {
      auto* p = producer.get();
      std::function<void()> close = [p] { p->close(flush_timeout_ms); };
      co_await pool.offload(std::move(close));
      co_await asio::post(ex, asio::use_awaitable);  // deliveries posted during close run first
      producer.reset();
    }
  }

  asio::any_io_executor ex;
  blocking_pool& pool;
  const consumer_module& module;
  kafka::client_settings settings;
  group_evaluator& evaluator;
  owner_ref self_ref;
  const clock& time;
  fleet_stats stats;
  remote_status remote;
  notifier_source notifier;
  remote_listener listener;
  std::set<std::int32_t> owned;                    // offsets-topic partitions this instance owns
  std::unordered_map<std::string, published> last;  // per owned group: what was last produced
  std::set<std::string> dirty;                      // owned groups to re-publish at the next due tick
  std::vector<std::int64_t> next;                   // status topic: next offset per partition (-2 = beginning)
  std::vector<std::int64_t> targets;                // end offsets sampled at the last gain / start
  std::chrono::steady_clock::time_point sync_since = std::chrono::steady_clock::now();
  std::int64_t next_scan = 0;  // wall ms of the next lag-change scan
  std::unique_ptr<kafka::record_producer> producer;
  std::unique_ptr<kafka::topic_consumer> consumer;
  std::unique_ptr<kafka::queue_waker> waker;
  asio::steady_timer tick_timer;
  // Last: their loops and handlers capture this.
  std::unique_ptr<actor> self;
  std::unique_ptr<subscriber<status_event>> sub;
};

fleet_status::fleet_status(asio::any_io_executor ex, supervisor& sup, blocking_pool& pool,
                           const consumer_module& module, kafka::client_settings settings,
                           group_evaluator& evaluator, owner_ref self, const clock& clk)
    : impl_(std::make_unique<impl>(ex, sup, pool, module, std::move(settings), evaluator, std::move(self), clk)) {}
fleet_status::~fleet_status() = default;

void fleet_status::start() { impl_->self->start(); }
task<void> fleet_status::stop() { co_await impl_->stop(); }
task<void> fleet_status::flush() {
  auto* p = impl_->producer.get();
  if (!p) co_return;
  std::function<int()> f = [p] { return p->flush(flush_timeout_ms); };
  const int left = co_await impl_->pool.offload(std::move(f));
  if (left) log_warn("fleet", impl_->module.name, ": ", left, " record(s) not confirmed before shutdown");
}
void fleet_status::set_notifier_source(notifier_source f) { impl_->notifier = std::move(f); }
void fleet_status::set_remote_listener(remote_listener f) { impl_->listener = std::move(f); }
void fleet_status::notifier_changed(const std::string& group) { impl_->notifier_changed(group); }
task<void> fleet_status::on_gain(std::vector<std::int32_t> partitions) { co_await impl_->on_gain(std::move(partitions)); }
task<void> fleet_status::before_revoke(std::vector<std::int32_t> partitions, bool lost) {
  co_await impl_->before_revoke(std::move(partitions), lost);
}
bool fleet_status::synced() const { return impl_->synced_now(); }
const remote_status& fleet_status::remote() const { return impl_->remote; }
const owner_ref& fleet_status::self() const { return impl_->self_ref; }
const std::string& fleet_status::cluster() const { return impl_->module.cluster; }
const std::string& fleet_status::name() const { return impl_->module.name; }
std::chrono::milliseconds fleet_status::forward_timeout() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(impl_->module.forward_timeout);
}
asio::any_io_executor fleet_status::executor() const { return impl_->ex; }
const fleet_stats& fleet_status::stats() const { return impl_->stats; }
bool fleet_status::up() const { return impl_->self->health().up; }

}  // namespace warren::fleet
