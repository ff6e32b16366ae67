#include "service/offsets/offsets_reader.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <regex>
#include <unordered_map>

#include "service/config/config.hpp"
#include "service/core/log.hpp"
#include "service/core/overloaded.hpp"
#include "service/core/offload.hpp"
#include "service/kafka/consumer.hpp"
#include "service/kafka/metadata.hpp"
#include "service/kafka/waker.hpp"
#include "service/offsets/decode.hpp"

namespace warren {
namespace {

constexpr int blocking_timeout_ms = 5000;
constexpr std::size_t batch_max = 4096;
}  // namespace

struct offsets_reader::impl {
  impl(asio::any_io_executor e, blocking_pool& p, const consumer_module& m, kafka::client_settings s, sink to)
      : ex(e), pool(p), module(m), settings(std::move(s)), to_store(std::move(to)), timer(e), done(e) {
    if (!m.group_allowlist.empty()) allow.emplace(m.group_allowlist);
    if (!m.group_denylist.empty()) deny.emplace(m.group_denylist);
    done.expires_at(std::chrono::steady_clock::time_point::max());
  }

  asio::any_io_executor ex;
  blocking_pool& pool;
  const consumer_module& module;
  kafka::client_settings settings;
  sink to_store;
  asio::steady_timer timer;  // retry waits; cancelled by stop()
  asio::steady_timer done;   // expires (is cancelled) when run() has returned
  std::unique_ptr<kafka::assign_consumer> consumer;
  std::unique_ptr<kafka::queue_waker> waker;
  reader_stats stats;
  bool stopping = false;
  bool finished = false;
  std::optional<std::regex> allow, deny;
  std::unordered_map<std::string, bool> group_verdicts;  // regex results cached per group name
  std::vector<std::int32_t> partitions;
  std::vector<std::int64_t> targets;  // end offsets at start, per partition
  std::chrono::steady_clock::time_point last_progress_log{};

  // Burrow: the allowlist must match and the denylist must not (Go's MatchString = search).
  bool group_allowed(std::string_view group) {
    if (!allow && !deny) return true;
    // libstdc++'s regex search recurses per character: a huge name (up to 32 KiB on the wire)
    // could overflow the stack. With a filter configured, such names are filtered out.
    if (group.size() > 1024) return false;
    auto it = group_verdicts.find(std::string(group));
    if (it != group_verdicts.end()) return it->second;
    std::string g(group);
    bool ok = (!allow || std::regex_search(g, *allow)) && (!deny || !std::regex_search(g, *deny));
    if (group_verdicts.size() > 100000) group_verdicts.clear();  // bounded cache
    group_verdicts.emplace(std::move(g), ok);
    return ok;
  }

  task<void> wait_for(std::chrono::milliseconds d) {
    timer.expires_after(d);
    co_await timer.async_wait(use_nothrow);
  }

  task<void> run() {
    try {
      co_await read();
    } catch (const std::exception& e) {
      log_error("offsets", module.name, ": reader stopped: ", e.what());
    }
    finished = true;
    done.cancel();
  }

  task<void> read() {
    consumer = std::make_unique<kafka::assign_consumer>(settings, module.offsets_topic);
    auto* rk = consumer->raw();
    const std::string topic = module.offsets_topic;

    // The offsets topic may not exist yet (no group has committed on a new cluster): retry.
    bool reported = false;
    while (!stopping) {
      // Callables are named before co_await: GCC 12 mishandles non-trivial temporaries there.
      std::function<kafka::metadata_result()> fetch = [rk, topic] {
        return kafka::fetch_metadata(rk, topic, blocking_timeout_ms);
      };
      auto md = co_await pool.offload(std::move(fetch));
      if (md.ok && md.topics.count(topic) && md.topics.at(topic).partition_count > 0) {
        for (std::int32_t p = 0; p < md.topics.at(topic).partition_count; ++p) partitions.push_back(p);
        break;
      }
      if (!reported) {
        log_warn("offsets", module.name, ": offsets topic ", topic, " not available yet (",
                 md.ok ? "no such topic" : md.error, "); retrying");
        reported = true;
      }
      co_await wait_for(std::chrono::seconds(2));
    }
    if (stopping) co_return;

    // Replay target: the end offsets that exist now. Ready once every partition is read to them.
    std::map<std::string, std::vector<std::int32_t>> query{{topic, partitions}};
    while (!stopping) {
      std::function<kafka::end_offsets_result()> list = [rk, query] {
        return kafka::list_offsets(rk, query, -1, blocking_timeout_ms);
      };
      auto ends = co_await pool.offload(std::move(list));
      if (ends.ok) {
        targets = ends.offsets[topic];
        break;
      }
      log_warn("offsets", module.name, ": cannot read end offsets of ", topic, ": ", ends.error, "; retrying");
      co_await wait_for(std::chrono::seconds(2));
    }
    if (stopping) co_return;
    targets.resize(partitions.size(), 0);
    for (auto t : targets) stats.replay_target += std::max<std::int64_t>(t, 0);

    // start-latest reads only new commits; with backfill-earliest it also reads the history,
    // which is what reading from the beginning does (the store orders commits by their offset in
    // the offsets topic), so backfill needs no second consumer.
    const bool from_end = module.start_latest && !module.backfill_earliest;
    std::vector<std::int64_t> starts(partitions.size(), from_end ? -1 : -2);
    if (from_end) stats.caught_up = true;
    consumer->assign(partitions, starts);
    waker = std::make_unique<kafka::queue_waker>(ex, consumer->wake_queue());
    log_info("offsets", module.name, ": reading ", topic, " (", partitions.size(), " partitions, ",
             stats.replay_target, " records to replay) for cluster ", module.cluster);

    while (!stopping) {
      co_await drain();
      update_progress();
      if (stopping) break;
      co_await waker->wait();
    }
  }

  task<void> drain() {
    std::vector<kafka::fetched> records;
    std::vector<kafka::consumer_event> events;
    records.reserve(batch_max);
    while (!stopping) {
      records.clear();
      events.clear();
      std::size_t n = consumer->poll_batch(batch_max, records, events);
      if (n == 0) co_return;
      for (const auto& e : events) on_event(e);
      if (!records.empty() && !stats.connected) {
        stats.connected = true;
        log_info("offsets", module.name, ": brokers reachable again; reading resumes");
      }
      store_cmd::batch b{module.cluster, {}};
      b.commands.reserve(records.size());
      for (const auto& r : records) handle(r, b.commands);
      consumer->release();  // decoded views were copied into the commands
      if (!b.commands.empty()) co_await to_store(std::move(b));
      if (!stats.caught_up) update_progress();
    }
  }

  void on_event(const kafka::consumer_event& e) {
    if (e.all_brokers_down) {
      if (stats.connected) log_warn("offsets", module.name, ": all brokers are down: ", e.message);
      stats.connected = false;
      return;
    }
    log_debug("offsets", module.name, ": consumer event: ", e.message);
  }

  void handle(const kafka::fetched& r, std::vector<store_cmd::command>& out) {
    ++stats.records;
    auto d = offsets::decode(r.key, r.value);
    std::visit(
        overloaded{
            [&](const offsets::offset_commit& c) {
              if (!group_allowed(c.group)) {
                ++stats.filtered;
                return;
              }
              ++stats.commits;
              out.emplace_back(store_cmd::commit{std::string(c.group), std::string(c.topic), c.partition, c.offset,
                                                 r.offset, c.commit_timestamp});
            },
            [&](const offsets::offset_tombstone& t) {
              // Burrow ignores these (#818); the offset is gone, so Warren forgets it.
              ++stats.tombstones;
              if (group_allowed(t.group))
                out.emplace_back(store_cmd::forget_partition{std::string(t.group), std::string(t.topic), t.partition});
            },
            [&](const offsets::group_metadata& g) {
              ++stats.group_metadata;
              if (g.protocol_type != "consumer" || !group_allowed(g.group)) return;
              // A new generation replaces the whole assignment: partitions no member owns any
              // more lose their owner (Burrow keeps stale owners until the group is empty).
              out.emplace_back(store_cmd::clear_owners{std::string(g.group)});
              for (const auto& m : g.members)
                for (const auto& ta : m.assignment)
                  for (auto p : ta.partitions)
                    out.emplace_back(store_cmd::owner{std::string(g.group), std::string(ta.topic), p,
                                                      std::string(m.client_host), std::string(m.client_id)});
            },
            [&](const offsets::group_tombstone& t) {
              ++stats.tombstones;
              out.emplace_back(store_cmd::delete_group{std::string(t.group), {}});
            },
            [&](const offsets::other_record&) { ++stats.other_records; },
            [&](const offsets::decode_error& e) {
              auto i = static_cast<std::size_t>(e.reason);
              if (i < stats.errors.size()) ++stats.errors[i];
              log_debug("offsets", module.name, ": skipped record at ", r.partition, "/", r.offset, ": ",
                        offsets::to_string(e.reason));
            },
        },
        d);
  }

  void update_progress() {
    if (stats.caught_up || !consumer) return;
    auto pos = consumer->positions(partitions);
    std::int64_t sum = 0;
    bool all = true;
    for (std::size_t i = 0; i < partitions.size(); ++i) {
      auto target = i < targets.size() ? targets[i] : 0;
      auto p = i < pos.size() ? pos[i] : -1;
      // -1 = nothing fetched yet; a partition whose end is 0 (or whose records were all
      // compacted away) is caught up once its position is known or its target is 0.
      if (target > 0 && p < target) all = false;
      sum += std::min(std::max<std::int64_t>(p, 0), std::max<std::int64_t>(target, 0));
    }
    stats.replay_position = sum;
    auto now = std::chrono::steady_clock::now();
    if (all) {
      stats.caught_up = true;
      log_info("offsets", module.name, ": replay complete (", stats.records, " records read)");
    } else if (now - last_progress_log > std::chrono::seconds(5)) {
      last_progress_log = now;
      log_info("offsets", module.name, ": replaying ", sum, " of ", stats.replay_target, " (",
               stats.replay_target ? 100 * sum / stats.replay_target : 100, "%)");
    }
  }
};

offsets_reader::offsets_reader(asio::any_io_executor ex, blocking_pool& pool, const consumer_module& module,
                               kafka::client_settings settings, sink to_store)
    : impl_(std::make_unique<impl>(ex, pool, module, std::move(settings), std::move(to_store))) {}
offsets_reader::~offsets_reader() = default;

void offsets_reader::start() {
  // run() catches and logs std::exception itself; anything else still gets a line.
  asio::co_spawn(impl_->ex, impl_->run(), [](std::exception_ptr e) {
    if (e) log_error("offsets", "actor ended with an unexpected exception");
  });
}

task<void> offsets_reader::stop() {
  auto& d = *impl_;
  d.stopping = true;
  d.timer.cancel();
  if (d.waker) d.waker->cancel();
  if (!d.finished) co_await d.done.async_wait(use_nothrow);
  d.waker.reset();  // disable the io event before the client goes away
  if (d.consumer) {
    auto* c = d.consumer.get();
    co_await d.pool.offload([c] { c->close(); });
    d.consumer.reset();
  }
}

const std::string& offsets_reader::name() const { return impl_->module.name; }
const std::string& offsets_reader::cluster() const { return impl_->module.cluster; }
const reader_stats& offsets_reader::stats() const { return impl_->stats; }

}  // namespace warren
