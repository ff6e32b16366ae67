#include "service/cluster/cluster_poller.hpp"

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>

#include "service/config/config.hpp"
#include "service/core/actor.hpp"
#include "service/core/clock.hpp"
#include "service/core/log.hpp"
#include "service/core/offload.hpp"
#include "service/kafka/metadata.hpp"

namespace warren {
namespace {
constexpr int blocking_timeout_ms = 5000;
// While the cluster is unreachable, blocking calls give up sooner: an in-flight call cannot be
// cancelled, so this bounds how long shutdown waits during an outage.
constexpr int outage_timeout_ms = 1000;

// Built outside the coroutine: GCC 12 double-frees a coroutine local moved into an init-capture
// (seen as "free(): double free" at the end of refresh_offsets on a broker with topics).
// Log-end offsets, and on `with_start` rounds log-start offsets too (a second batched ListOffsets,
// one request per leader like the first: no per-partition call).
struct offsets_round {
  kafka::end_offsets_result end;
  kafka::end_offsets_result start;  ///< empty unless asked for
};
std::function<offsets_round()> list_offsets_call(rd_kafka_s* h, std::map<std::string, std::vector<std::int32_t>> q,
                                                 int timeout_ms, bool with_start) {
  return [h, q = std::move(q), timeout_ms, with_start] {
    offsets_round r;
    r.end = kafka::list_offsets(h, q, -1, timeout_ms);
    if (with_start && r.end.ok) r.start = kafka::list_offsets(h, q, -2, timeout_ms);
    return r;
  };
}
std::function<kafka::topic_configs_result()> retention_call(rd_kafka_s* h, std::vector<std::string> topics,
                                                            int timeout_ms) {
  return [h, topics = std::move(topics), timeout_ms] { return kafka::describe_topic_retention(h, topics, timeout_ms); };
}
// Log-start offsets are read on every this-many log-end rounds (the first included).
constexpr std::uint64_t log_start_every = 3;
}  // namespace

struct cluster_poller::impl {
  impl(asio::any_io_executor e, supervisor& sup, blocking_pool& p, const cluster_module& m, kafka::client_settings s,
       sink to, std::vector<std::string> keep, const clock& clk)
      : ex(e), pool(p), module(m), settings(std::move(s)), to_store(std::move(to)), keep_groups(std::move(keep)),
        time(clk), timer(e), self(e, sup, "cluster_poller", m.name, clk) {
    self.add_loop("poll", [this] { return run(); });
    self.on_interrupt([this] { timer.cancel(); });
  }

  asio::any_io_executor ex;
  blocking_pool& pool;
  const cluster_module& module;
  kafka::client_settings settings;
  sink to_store;
  std::vector<std::string> keep_groups;
  const clock& time;
  asio::steady_timer timer;
  kafka::handle rk;
  poller_stats stats;
  std::map<std::string, kafka::topic_info> topics;  // the last metadata snapshot
  bool have_metadata = false;
  bool partial_reported = false;
  bool retention_failed = false;
  std::function<void()> state_changed;
  actor self;  // last: its loop captures this

  int call_timeout() const { return stats.reachable ? blocking_timeout_ms : outage_timeout_ms; }

  void failed(const std::string& what, const std::string& request_error) {
    // A timeout says little when the broker refused our credentials or certificate: say that.
    const std::string why = kafka::last_connect_failure(rk.get());
    const std::string error = why.empty() ? request_error : why + " (" + request_error + ")";
    ++stats.errors;
    if (stats.reachable) {
      log_warn("cluster", module.name, ": ", what, " failed: ", error, " (logged once per outage)");
      stats.reachable = false;
      stats.down_since_ms = time.wall_ms();
      if (state_changed) state_changed();
    }
    stats.last_error = error;
  }
  void succeeded() {
    if (!stats.reachable) {
      log_info("cluster", module.name, ": reachable again after ", (time.wall_ms() - stats.down_since_ms) / 1000, " s");
      stats.reachable = true;
      stats.down_since_ms = 0;
      stats.last_error.clear();
      if (state_changed) state_changed();
    }
  }

  task<void> destroy_client() {
    if (!rk) co_return;
    auto* raw = rk.release();
    std::function<void()> destroy = [raw] { kafka::handle closing(raw); };  // rd_kafka_destroy blocks
    co_await pool.offload(std::move(destroy));
  }

  task<void> refresh_metadata() {
    auto* h = rk.get();
    const int timeout = call_timeout();
    std::function<kafka::metadata_result()> fetch = [h, timeout] { return kafka::fetch_metadata(h, {}, timeout); };
    auto md = co_await pool.offload(std::move(fetch));
    if (self.stopping()) co_return;
    ++stats.metadata_rounds;
    if (!md.ok) {
      failed("metadata request", md.error);
      co_return;
    }
    succeeded();
    store_cmd::batch b{module.name, {}};
    if (have_metadata)
      for (const auto& [name, info] : topics)
        if (!md.topics.count(name)) {
          log_info("cluster", module.name, ": topic ", name, " was deleted");
          b.commands.emplace_back(store_cmd::delete_topic{.topic = topic_name{name}});
        }
    topics = std::move(md.topics);
    have_metadata = true;
    stats.topics = topics.size();
    stats.partitions = 0;
    for (const auto& [n, i] : topics) stats.partitions += static_cast<std::size_t>(i.partition_count);
    if (!b.commands.empty()) co_await to_store(std::move(b));
    co_await refresh_retention();
  }

  // Warren (issue 11): retention.ms of every topic, with each metadata refresh. A failure is
  // logged once per run of failures and keeps the previous values (retention risk goes stale, not wrong).
  task<void> refresh_retention() {
    if (self.stopping() || topics.empty()) co_return;
    std::vector<std::string> names;
    names.reserve(topics.size());
    for (const auto& [name, info] : topics) names.push_back(name);
    auto call = retention_call(rk.get(), std::move(names), call_timeout());
    auto res = co_await pool.offload(std::move(call));
    if (self.stopping()) co_return;
    if (!res.ok) {
      if (!retention_failed) log_warn("cluster", module.name, ": reading topic retention.ms failed: ", res.error);
      retention_failed = true;
      co_return;
    }
    retention_failed = false;
    store_cmd::batch b{module.name, {}};
    for (auto& [name, ms] : res.retention_ms)
      b.commands.emplace_back(store_cmd::topic_config{.topic = topic_name{name}, .retention_ms = ms});
    if (!b.commands.empty()) co_await to_store(std::move(b));
  }

  task<void> refresh_offsets() {
    std::map<std::string, std::vector<std::int32_t>> query;
    for (const auto& [name, info] : topics)
      if (!info.with_leader.empty()) query.emplace(name, info.with_leader);
    auto* h = rk.get();
    // Named before co_await: GCC 12 mishandles non-trivial temporaries in co_await expressions.
    const bool with_start = stats.offset_rounds % log_start_every == 0;
    auto list = list_offsets_call(h, std::move(query), call_timeout(), with_start);
    auto round = co_await pool.offload(std::move(list));
    if (self.stopping()) co_return;
    auto& res = round.end;
    ++stats.offset_rounds;
    if (!res.ok) {
      failed("log-end offset request", res.error);
      co_return;
    }
    succeeded();
    stats.last_success_ms = time.wall_ms();
    if (res.failed_partitions > 0) {
      // Some brokers answered, some did not: keep what came back, say what did not (once per run
      // of partial rounds), and look at the metadata again on the next tick.
      stats.partitions_unanswered += res.failed_partitions;
      if (!partial_reported)
        log_warn("cluster", module.name, ": ", res.failed_partitions, " partitions got no log-end offset: ", res.error);
      partial_reported = true;
      have_metadata = false;
    } else if (partial_reported) {
      log_info("cluster", module.name, ": every partition answered again");
      partial_reported = false;
    }
    const timestamp_ms now{time.wall_ms()};
    store_cmd::batch b{module.name, {}};
    for (auto& [name, offsets] : res.offsets) {
      auto it = topics.find(name);
      if (it == topics.end()) continue;
      std::vector<std::int64_t> log_start;
      if (auto s = round.start.offsets.find(name); s != round.start.offsets.end()) log_start = std::move(s->second);
      b.commands.emplace_back(store_cmd::broker_offsets{.topic = topic_name{name},
                                                        .partition_count = it->second.partition_count,
                                                        .offsets = std::move(offsets),
                                                        .observed_at = now,
                                                        .log_start = std::move(log_start)});
    }
    if (!b.commands.empty()) co_await to_store(std::move(b));
  }

  task<void> reap_groups() {
    auto* h = rk.get();
    const int timeout = call_timeout();
    std::function<kafka::groups_result()> list = [h, timeout] { return kafka::list_groups(h, timeout); };
    auto res = co_await pool.offload(std::move(list));
    if (self.stopping()) co_return;
    if (!res.ok) {
      // A partial or failed listing must never delete groups.
      failed("group listing", res.error);
      co_return;
    }
    for (const auto& g : keep_groups) res.groups.push_back(g);  // Burrow: never reap its own group
    store_cmd::batch b{module.name, {}};
    b.commands.emplace_back(store_cmd::keep_only_groups{std::move(res.groups)});
    co_await to_store(std::move(b));
  }

  // One run: a fresh client and a fresh round (metadata first). A restart after a failure
  // starts here again.
  task<void> run() {
    co_await destroy_client();
    have_metadata = false;
    std::string err;
    auto h = kafka::make_client(kafka::client_kind::producer, settings, {}, err);
    if (!h) throw std::runtime_error("cannot create client: " + err);
    rk = std::move(*h);
    using sclock = std::chrono::steady_clock;
    auto next_topics = sclock::now(), next_offsets = sclock::now(),
         next_reap = sclock::now() + module.groups_reaper_refresh;
    while (!self.stopping()) {
      self.checkpoint();
      auto now = sclock::now();
      // After a failure, metadata is refreshed on every tick until the cluster answers again.
      if (now >= next_topics || !stats.reachable || !have_metadata) {
        co_await refresh_metadata();
        next_topics = sclock::now() + module.topic_refresh;
      }
      if (self.stopping()) break;
      if (now >= next_offsets && have_metadata) {
        co_await refresh_offsets();
        next_offsets = sclock::now() + module.offset_refresh;
      }
      if (self.stopping()) break;
      if (module.groups_reaper_refresh.count() > 0 && now >= next_reap) {
        co_await reap_groups();
        next_reap = sclock::now() + module.groups_reaper_refresh;
      }
      auto wake = std::min(next_topics, next_offsets);
      if (module.groups_reaper_refresh.count() > 0) wake = std::min(wake, next_reap);
      if (!stats.reachable) wake = std::min(wake, sclock::now() + std::chrono::seconds(1));
      timer.expires_at(wake);
      co_await timer.async_wait(use_nothrow);
    }
  }
};

cluster_poller::cluster_poller(asio::any_io_executor ex, supervisor& sup, blocking_pool& pool,
                               const cluster_module& module, kafka::client_settings settings, sink to_store,
                               std::vector<std::string> keep_groups, const clock& clk)
    : impl_(std::make_unique<impl>(ex, sup, pool, module, std::move(settings), std::move(to_store),
                                   std::move(keep_groups), clk)) {}
cluster_poller::~cluster_poller() = default;

void cluster_poller::on_state_change(std::function<void()> f) { impl_->state_changed = std::move(f); }
void cluster_poller::start() { impl_->self.start(); }

task<void> cluster_poller::stop() {
  co_await impl_->self.stop();
  co_await impl_->destroy_client();
}

const std::string& cluster_poller::name() const { return impl_->module.name; }
const poller_stats& cluster_poller::stats() const { return impl_->stats; }
bool cluster_poller::up() const { return impl_->self.health().up; }

}  // namespace warren
