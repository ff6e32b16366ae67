#include "service/cluster/cluster_poller.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>

#include "service/config/config.hpp"
#include "service/core/clock.hpp"
#include "service/core/log.hpp"
#include "service/core/offload.hpp"
#include "service/kafka/metadata.hpp"

namespace warren {
namespace {
constexpr int blocking_timeout_ms = 5000;

// Built outside the coroutine: GCC 12 double-frees a coroutine local moved into an init-capture
// (seen as "free(): double free" at the end of refresh_offsets on a broker with topics).
std::function<kafka::end_offsets_result()> list_offsets_call(rd_kafka_s* h,
                                                             std::map<std::string, std::vector<std::int32_t>> q) {
  return [h, q = std::move(q)] { return kafka::list_offsets(h, q, -1, blocking_timeout_ms); };
}
}

struct cluster_poller::impl {
  impl(asio::any_io_executor e, blocking_pool& p, const cluster_module& m, kafka::client_settings s, sink to)
      : ex(e), pool(p), module(m), settings(std::move(s)), to_store(std::move(to)), timer(e), done(e) {
    done.expires_at(std::chrono::steady_clock::time_point::max());
  }

  asio::any_io_executor ex;
  blocking_pool& pool;
  const cluster_module& module;
  kafka::client_settings settings;
  sink to_store;
  asio::steady_timer timer;
  asio::steady_timer done;
  kafka::handle rk;
  poller_stats stats;
  bool stopping = false;
  bool finished = false;
  std::map<std::string, kafka::topic_info> topics;  // the last metadata snapshot
  bool have_metadata = false;

  void failed(const std::string& what, const std::string& error) {
    ++stats.errors;
    if (stats.reachable) {
      log_warn("cluster", module.name, ": ", what, " failed: ", error, " (logged once per outage)");
      stats.reachable = false;
      stats.down_since_ms = wall_now_ms();
    }
    stats.last_error = error;
  }
  void succeeded() {
    if (!stats.reachable) {
      log_info("cluster", module.name, ": reachable again after ", (wall_now_ms() - stats.down_since_ms) / 1000, " s");
      stats.reachable = true;
      stats.down_since_ms = 0;
      stats.last_error.clear();
    }
  }

  task<void> refresh_metadata() {
    auto* h = rk.get();
    auto md = co_await pool.offload([h] { return kafka::fetch_metadata(h, {}, blocking_timeout_ms); });
    if (stopping) co_return;
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
          b.commands.emplace_back(store_cmd::delete_topic{name});
        }
    topics = std::move(md.topics);
    have_metadata = true;
    stats.topics = topics.size();
    stats.partitions = 0;
    for (const auto& [n, i] : topics) stats.partitions += static_cast<std::size_t>(i.partition_count);
    if (!b.commands.empty()) co_await to_store(std::move(b));
  }

  task<void> refresh_offsets() {
    std::map<std::string, std::vector<std::int32_t>> query;
    for (const auto& [name, info] : topics)
      if (!info.with_leader.empty()) query.emplace(name, info.with_leader);
    auto* h = rk.get();
    // Named before co_await: GCC 12 mishandles non-trivial temporaries in co_await expressions.
    auto list = list_offsets_call(h, std::move(query));
    auto res = co_await pool.offload(std::move(list));
    if (stopping) co_return;
    ++stats.offset_rounds;
    if (!res.ok) {
      failed("log-end offset request", res.error);
      co_return;
    }
    succeeded();
    auto now = wall_now_ms();
    store_cmd::batch b{module.name, {}};
    for (auto& [name, offsets] : res.offsets) {
      auto it = topics.find(name);
      if (it == topics.end()) continue;
      b.commands.emplace_back(store_cmd::broker_offsets{name, it->second.partition_count, std::move(offsets), now});
    }
    if (!b.commands.empty()) co_await to_store(std::move(b));
  }

  task<void> reap_groups() {
    auto* h = rk.get();
    auto res = co_await pool.offload([h] { return kafka::list_groups(h, blocking_timeout_ms); });
    if (stopping) co_return;
    if (!res.ok) {
      // A partial or failed listing must never delete groups.
      failed("group listing", res.error);
      co_return;
    }
    store_cmd::batch b{module.name, {}};
    b.commands.emplace_back(store_cmd::keep_only_groups{std::move(res.groups)});
    co_await to_store(std::move(b));
  }

  task<void> run() {
    try {
      std::string err;
      auto h = kafka::make_client(kafka::client_kind::producer, settings, {}, err);
      if (!h) throw std::runtime_error("cannot create client: " + err);
      rk = std::move(*h);
      using clock = std::chrono::steady_clock;
      auto next_topics = clock::now(), next_offsets = clock::now(), next_reap = clock::now() + module.groups_reaper_refresh;
      while (!stopping) {
        auto now = clock::now();
        // After a failure, metadata is refreshed on every tick until the cluster answers again.
        if (now >= next_topics || !stats.reachable || !have_metadata) {
          co_await refresh_metadata();
          next_topics = clock::now() + module.topic_refresh;
        }
        if (stopping) break;
        if (now >= next_offsets && have_metadata) {
          co_await refresh_offsets();
          next_offsets = clock::now() + module.offset_refresh;
        }
        if (stopping) break;
        if (module.groups_reaper_refresh.count() > 0 && now >= next_reap) {
          co_await reap_groups();
          next_reap = clock::now() + module.groups_reaper_refresh;
        }
        auto wake = std::min(next_topics, next_offsets);
        if (module.groups_reaper_refresh.count() > 0) wake = std::min(wake, next_reap);
        if (!stats.reachable) wake = std::min(wake, clock::now() + std::chrono::seconds(1));
        timer.expires_at(wake);
        co_await timer.async_wait(use_nothrow);
      }
    } catch (const std::exception& e) {
      log_error("cluster", module.name, ": poller stopped: ", e.what());
    }
    finished = true;
    done.cancel();
  }
};

cluster_poller::cluster_poller(asio::any_io_executor ex, blocking_pool& pool, const cluster_module& module,
                               kafka::client_settings settings, sink to_store)
    : impl_(std::make_unique<impl>(ex, pool, module, std::move(settings), std::move(to_store))) {}
cluster_poller::~cluster_poller() = default;

void cluster_poller::start() {
  // run() catches and logs std::exception itself; anything else still gets a line.
  asio::co_spawn(impl_->ex, impl_->run(), [](std::exception_ptr e) {
    if (e) log_error("cluster", "actor ended with an unexpected exception");
  });
}

task<void> cluster_poller::stop() {
  auto& d = *impl_;
  d.stopping = true;
  d.timer.cancel();
  if (!d.finished) co_await d.done.async_wait(use_nothrow);
  if (d.rk) {
    auto* raw = d.rk.release();
    co_await d.pool.offload([raw] { kafka::handle closing(raw); });  // rd_kafka_destroy blocks
  }
}

const std::string& cluster_poller::name() const { return impl_->module.name; }
const poller_stats& cluster_poller::stats() const { return impl_->stats; }

}  // namespace warren
