#include "service/offsets/offsets_reader.hpp"

#include <boost/asio/steady_timer.hpp>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <chrono>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

#include "service/config/config.hpp"
#include "service/core/actor.hpp"
#include "service/core/clock.hpp"
#include "service/core/log.hpp"
#include "service/core/offload.hpp"
#include "service/core/pattern.hpp"
#include "service/core/overloaded.hpp"
#include "service/kafka/consumer.hpp"
#include "service/kafka/metadata.hpp"
#include "service/kafka/waker.hpp"
#include "service/offsets/decode.hpp"
#include "service/storage/commit_block.hpp"

namespace warren {
namespace {

constexpr int blocking_timeout_ms = 5000;
// After a failed attempt blocking calls give up sooner: an in-flight call cannot be cancelled,
// so this bounds how long shutdown waits while the brokers are unreachable.
constexpr int retry_timeout_ms = 1000;
constexpr std::size_t batch_max = 4096;
// Issue 14: a group member polls at least this often even when nothing arrives (librdkafka leaves
// the group when the application has not polled for max.poll.interval.ms).
constexpr std::chrono::seconds group_poll_every{1};

std::string list_text(const std::vector<std::int32_t>& ps) {
  std::string out = "[";
  for (auto p : ps) out += (out.size() > 1 ? "," : "") + std::to_string(p);
  return out + "]";
}

// Prefetch bounds of the reader's consumer (issue 12). librdkafka keeps up to
// queued.min.messages records or queued.max.messages.kbytes of payload per assigned partition and
// reads responses of up to fetch.max.bytes into one buffer. In librdkafka 2.0.2 a partition over either bound is fetched
// again only when its broker thread next wakes (up to 1 s later), not when the reader drains it,
// so a small bound stalls the replay. Measured with tests/bench/replay.sh (Release, 1 M
// partitions, 3 M records, tests/bench/README.md), records/s until caught up / peak RSS:
//   100 000 msgs, 16 MB: 155 k/s, 728 MB    300 000, 24 MB: 416 k/s, 799 MB
//   1 000 000, 32 MB: 801 k/s, 1 039 MB     (steady RSS afterwards 680-730 MB in all three)
// The middle one is the default: 2.7x the smallest's rate for under a quarter of the largest's
// extra peak. (No config key sets these; the client settings only carry TLS/SASL properties.)
// During the replay the reader also wakes the fetcher itself after each drain (wake_fetcher):
// 1 M partitions then 0.9-1.26 M records/s instead of 0.55 M, the same peak.
constexpr std::pair<const char*, const char*> prefetch_defaults[] = {
    {"fetch.wait.max.ms", "100"},
    {"fetch.max.bytes", "16777216"},            // 16 MB per fetch response
    {"max.partition.fetch.bytes", "4194304"},   // 4 MB per partition per fetch
    {"queued.min.messages", "300000"},
    {"queued.max.messages.kbytes", "24576"},    // 24 MB prefetched per partition
};
}  // namespace

struct offsets_reader::impl {
  impl(asio::any_io_executor e, supervisor& sup, blocking_pool& p, const consumer_module& m, kafka::client_settings s,
       sink to, const clock& clk)
      : ex(e), pool(p), module(m), settings(std::move(s)), to_store(std::move(to)), time(clk), timer(e),
        grouped(!m.cluster_group.empty()), self_group("burrow-" + m.name),
        self(e, sup, "offsets_reader", m.cluster, clk) {
    stats.cluster_group = m.cluster_group;
    for (const auto& [key, value] : prefetch_defaults) settings.properties.try_emplace(key, value);
    allow = compile_filter(m.group_allowlist);
    deny = compile_filter(m.group_denylist);
    self.add_loop("read", [this] { return read(); });
    self.on_interrupt([this] {
      timer.cancel();
      if (waker) waker->cancel();
    });
  }

  asio::any_io_executor ex;
  blocking_pool& pool;
  const consumer_module& module;
  kafka::client_settings settings;
  sink to_store;
  const clock& time;
  asio::steady_timer timer;  // retry waits; cancelled by stop()
  std::unique_ptr<kafka::topic_consumer> consumer;
  std::unique_ptr<kafka::queue_waker> waker;
  reader_stats stats;
  std::optional<pattern> allow, deny;
  std::unordered_map<std::string, bool> group_verdicts;  // search results cached per group name
  commit_block_builder block_names;  // interns a batch's group/topic names (no allocation per commit)
  std::size_t records_left = 0;       // drain(): records of the batch not handled yet (a block's reserve)
  std::vector<std::int32_t> partitions;
  std::vector<std::int64_t> targets;  // end offsets at start, per partition
  std::vector<std::int64_t> next;     // next offset to read per partition; -2 = beginning, -1 = end
  std::vector<std::int64_t> touched;  // per partition: next offset when this batch moved it, else -3
  bool assigned_once = false;
  std::optional<std::vector<std::int64_t>> resume;  // issue 14: resume_from(), used by the first assignment
  bool heap_trimmed = false;  // issue 12: trim_heap() ran after the replay
  std::chrono::steady_clock::time_point last_progress_log{};
  std::function<void()> state_changed;
  offsets_reader::rebalance_hooks hooks;  // issue 14 part 2/3: the fleet's status publisher
  std::function<void(const std::string&)> unreadable_hook;  // issue 13: fallback to the Admin API
  // Issue 14, cluster-group. owned: per partition, assigned to this member now. pending: partitions
  // whose groups are in the store without being owned (loaded from the snapshot, or owned by the
  // client before a restart), with the position they were read to: the first assignment after a
  // subscribe resumes those it gives and the rest are forgotten.
  const bool grouped;
  std::vector<char> owned;
  std::map<std::int32_t, std::int64_t> pending;
  std::set<std::string> warned_events;  // consumer errors already logged (bounded)
  std::chrono::steady_clock::time_point empty_since{};  // when this member's assignment last became empty
  const std::string self_group;
  actor self;  // last: its loop captures this

  // The config loader validated both patterns: a failure here is a start-up failure.
  static std::optional<pattern> compile_filter(const std::string& text) {
    if (text.empty()) return std::nullopt;
    auto made = pattern::compile(text);
    if (auto* e = std::get_if<pattern_error>(&made)) throw std::invalid_argument("group filter " + text + ": " + e->message);
    return std::get<pattern>(std::move(made));
  }

  // Burrow: the allowlist must match and the denylist must not (Go's MatchString = search).
  // RE2 is linear in the name, so names of any length (up to 32 KiB on the wire) are searched.
  bool group_allowed(std::string_view group) {
    if (!allow && !deny) return true;
    std::string g(group);
    auto it = group_verdicts.find(g);
    if (it != group_verdicts.end()) return it->second;
    bool ok = (!allow || allow->search(g)) && (!deny || !deny->search(g));
    if (group_verdicts.size() > 100000) group_verdicts.clear();  // bounded cache
    group_verdicts.emplace(std::move(g), ok);
    return ok;
  }

  void set_connected(bool c) {
    if (stats.connected == c) return;
    stats.connected = c;
    if (state_changed) state_changed();
  }

  task<void> wait_for(std::chrono::milliseconds d) {
    timer.expires_after(d);
    co_await timer.async_wait(use_nothrow);
  }

  // Issue 13: the offsets topic cannot be read. Returns true when the reader must park (the app
  // was told and switches this consumer to the Admin API); otherwise the reason is logged once
  // and shown as the cluster's staleness, and reading is retried.
  bool topic_unreadable(const std::string& reason) {
    const bool first = stats.unreadable.empty();
    if (first) stats.unreadable = reason;
    if (unreadable_hook) {
      if (first) unreadable_hook(reason);
      return true;
    }
    if (!first) return false;
    log_warn("offsets", "consumer ", module.name, " of cluster ", module.cluster, ": cannot read ",
             module.offsets_topic, " (", reason, "); fallback = \"none\": retrying (fallback = \"kafka-admin\" or "
             "class-name = \"kafka-admin\" reads the committed offsets through the Admin API)");
    if (state_changed) state_changed();
    return false;
  }

  // Idles until stop() once the app took over (the loop returns only when stopping).
  task<void> park() {
    while (!self.stopping()) co_await wait_for(std::chrono::hours(1));
  }

  /// Closes a client left by a failed run (off the io thread: close blocks).
  task<void> discard_client() {
    waker.reset();  // disable the io event before the client goes away
    if (!consumer) co_return;
    std::function<void()> close = [c = consumer.get()] { c->close(); };
    co_await pool.offload(std::move(close));
    consumer.reset();
  }

  task<void> read() {
    co_await discard_client();
    std::optional<kafka::group_membership> membership;
    if (grouped)
      membership = kafka::group_membership{
          module.cluster_group, static_cast<int>(module.cluster_group_session_timeout.count() * 1000)};
    consumer = std::make_unique<kafka::topic_consumer>(settings, module.offsets_topic, membership);
    auto* rk = consumer->raw();
    const std::string topic = module.offsets_topic;

    // The offsets topic may not exist yet (no group has committed on a new cluster): retry.
    bool reported = false;
    while (partitions.empty() && !self.stopping()) {
      // Callables are named before co_await: GCC 12 mishandles non-trivial temporaries there.
      const int timeout = reported ? retry_timeout_ms : blocking_timeout_ms;
      std::function<kafka::metadata_result()> fetch = [rk, topic, timeout] {
        return kafka::fetch_metadata(rk, topic, timeout);
      };
      auto md = co_await pool.offload(std::move(fetch));
      if (md.ok && md.topics.count(topic) && md.topics.at(topic).partition_count > 0) {
        for (std::int32_t p = 0; p < md.topics.at(topic).partition_count; ++p) partitions.push_back(p);
        break;
      }
      // Issue 13: refused (no DESCRIBE on the topic), or __consumer_offsets absent (hidden, as on
      // managed clusters) while the cluster lists groups, on the second look: the groups' commits
      // are somewhere this client cannot read.
      std::string refused;
      if (auto e = md.topic_errors.find(topic); md.ok && e != md.topic_errors.end() && e->second == "TOPIC_AUTHORIZATION_FAILED")
        refused = "TOPIC_AUTHORIZATION_FAILED: no DESCRIBE on the topic";
      else if (md.ok && reported && topic == "__consumer_offsets") {
        std::function<kafka::groups_result()> groups = [rk] { return kafka::list_groups(rk, retry_timeout_ms); };
        auto listed = co_await pool.offload(std::move(groups));
        if (listed.ok && !listed.groups.empty())
          refused = "the topic does not exist (or is hidden) but the cluster lists " +
                    std::to_string(listed.groups.size()) + " consumer groups";
      }
      if (!refused.empty() && topic_unreadable(refused)) {
        co_await park();
        co_return;
      }
      if (!reported) {
        if (refused.empty())
          log_warn("offsets", module.name, ": offsets topic ", topic, " not available yet (",
                   md.ok ? "no such topic" : md.error, "); retrying");
        reported = true;
      }
      co_await wait_for(std::chrono::seconds(2));
      self.checkpoint();
    }
    if (self.stopping()) co_return;
    if (grouped) {  // issue 14: the group says which partitions to read
      co_await read_grouped();
      co_return;
    }

    // Replay target: the end offsets that exist now. Ready once every partition is read to them.
    std::map<std::string, std::vector<std::int32_t>> query{{topic, partitions}};
    bool retrying = false;
    while (targets.empty() && !self.stopping()) {
      const int timeout = retrying ? retry_timeout_ms : blocking_timeout_ms;
      std::function<kafka::end_offsets_result()> list = [rk, query, timeout] {
        return kafka::list_offsets(rk, query, -1, timeout);
      };
      auto ends = co_await pool.offload(std::move(list));
      if (ends.ok && ends.failed_partitions == 0) {
        targets = ends.offsets[topic];
        targets.resize(partitions.size(), 0);
        for (auto t : targets) stats.replay_target += std::max<std::int64_t>(t, 0);
        break;
      }
      if (!retrying) log_warn("offsets", module.name, ": cannot read end offsets of ", topic, ": ", ends.error, "; retrying");
      retrying = true;
      co_await wait_for(std::chrono::seconds(2));
      self.checkpoint();
    }
    if (self.stopping()) co_return;

    if (!assigned_once) {
      // start-latest reads only new commits; with backfill-earliest it also reads the history,
      // which is what reading from the beginning does (the store orders commits by their offset
      // in the offsets topic), so backfill needs no second consumer.
      const bool from_end = module.start_latest && !module.backfill_earliest;
      next.assign(partitions.size(), from_end ? -1 : -2);
      touched.assign(partitions.size(), -3);
      if (from_end) {
        stats.caught_up = stats.ready = true;
        if (state_changed) state_changed();
      }
      log_info("offsets", module.name, ": reading ", topic, " (", partitions.size(), " partitions, ",
               stats.replay_target, " records to replay) for cluster ", module.cluster);
    } else {
      log_info("offsets", module.name, ": resuming ", topic, " from the last read positions");
    }
    if (!assigned_once) co_await apply_resume(rk, topic);  // issue 14: positions from the snapshot
    if (self.stopping()) co_return;
    // After a restart every partition resumes at the next offset it had not read.
    consumer->assign(partitions, next);
    assigned_once = true;
    stats.owned_partitions = partitions;
    waker = std::make_unique<kafka::queue_waker>(ex, consumer->wake_queue());

    while (!self.stopping()) {
      const auto records_before = stats.records;
      co_await drain();
      if (!stats.unreadable.empty() && unreadable_hook) {  // issue 13: the fetch was refused
        co_await park();
        co_return;
      }
      co_await after_drain(records_before);
      if (self.stopping()) break;
      self.checkpoint();
      co_await waker->wait();
    }
  }

  // Issue 14: a member of the cluster-group. The partitions come and go with the rebalances that
  // drain() serves; the loop is the same as read()'s, with a poll at least every group_poll_every.
  task<void> read_grouped() {
    const std::string& topic = module.offsets_topic;
    const auto count = static_cast<std::int32_t>(partitions.size());
    std::vector<std::int32_t> forget;
    std::int32_t forget_count = count;
    if (!assigned_once) {
      // The snapshot's groups stay in the store (pending) until the first assignment decides.
      if (resume && !resume->empty()) {
        if (resume->size() != partitions.size()) {
          log_warn("offsets", module.name, ": the snapshot is of ", resume->size(), " partitions of ", topic,
                   ", which has ", partitions.size(), " now: its groups are dropped");
          forget_count = static_cast<std::int32_t>(resume->size());
          for (std::int32_t p = 0; p < forget_count; ++p) forget.push_back(p);
        } else {
          for (std::size_t i = 0; i < resume->size(); ++i)
            if ((*resume)[i] >= 0) pending[static_cast<std::int32_t>(i)] = (*resume)[i];
        }
        resume->clear();  // stays engaged: positions keep being reported
      }
      next.assign(partitions.size(), -2);
      touched.assign(partitions.size(), -3);
      targets.assign(partitions.size(), 0);
      owned.assign(partitions.size(), 0);
      log_info("offsets", module.name, ": joining cluster-group ", module.cluster_group, " on ", topic, " (",
               partitions.size(), " partitions) for cluster ", module.cluster, "; ", pending.size(),
               " partitions restored from the snapshot until the first assignment");
    } else {
      // A rebuilt client is a new member: what the old one owned stays in the store, pending,
      // until the first assignment says whether it comes back.
      for (std::size_t i = 0; i < owned.size(); ++i)
        if (owned[i]) {
          owned[i] = 0;
          if (next[i] >= 0) pending[static_cast<std::int32_t>(i)] = next[i];
          else forget.push_back(static_cast<std::int32_t>(i));
        }
      log_info("offsets", module.name, ": rejoining cluster-group ", module.cluster_group, " on ", topic);
    }
    assigned_once = true;
    stats.assigned = false;
    stats.caught_up = false;
    stats.owned_partitions.clear();
    stats.replay_target = stats.replay_position = 0;
    if (state_changed) state_changed();
    if (!forget.empty()) co_await forget_partitions(forget, forget_count);

    auto* c = consumer.get();
    std::function<std::string()> join = [c] { return c->subscribe(); };
    const std::string err = co_await pool.offload(std::move(join));
    if (!err.empty()) throw std::runtime_error("cannot join cluster-group " + module.cluster_group + ": " + err);
    waker = std::make_unique<kafka::queue_waker>(ex, consumer->wake_queue());

    while (!self.stopping()) {
      const auto records_before = stats.records;
      co_await drain();
      co_await after_drain(records_before);
      if (self.stopping()) break;
      self.checkpoint();
      co_await waker->wait(std::chrono::duration_cast<std::chrono::milliseconds>(group_poll_every));
    }
  }

  bool owns(std::int32_t p) const {
    return p >= 0 && static_cast<std::size_t>(p) < owned.size() && owned[static_cast<std::size_t>(p)];
  }

  std::vector<std::int32_t> owned_list() const {
    std::vector<std::int32_t> out;
    for (std::size_t i = 0; i < owned.size(); ++i)
      if (owned[i]) out.push_back(static_cast<std::int32_t>(i));
    return out;
  }

  // The store commands that drop what came from offsets partitions `ps` (of `count`): their groups,
  // and their entries of the self-reporting group.
  void add_forget(std::vector<store_cmd::command>& out, const std::vector<std::int32_t>& ps, std::int32_t count) {
    for (auto p : ps) {
      out.emplace_back(store_cmd::forget_offsets_partition{.partition = p, .partition_count = count});
      if (module.self_report)
        out.emplace_back(store_cmd::forget_partition{.group = group_name{self_group},
                                                     .topic = topic_name{module.offsets_topic},
                                                     .partition = partition_id{p}});
    }
  }

  task<void> forget_partitions(const std::vector<std::int32_t>& ps, std::int32_t count) {
    store_cmd::batch b{module.cluster, {}};
    add_forget(b.commands, ps, count);
    co_await to_store(std::move(b));
  }

  // Issue 14: answers one rebalance (drain() already stopped storing a revoked partition's records
  // and sent the store its forget commands). librdkafka's calls wait for its main thread: offloaded.
  task<void> answer(const kafka::rebalance& r) {
    auto* c = consumer.get();
    if (!r.assigned) {
      std::function<std::string()> give_back = [c, ps = r.partitions] { return c->incremental_unassign(ps); };
      const std::string err = co_await pool.offload(std::move(give_back));
      if (!err.empty()) throw std::runtime_error("cluster-group " + module.cluster_group + ": cannot give back " +
                                                 list_text(r.partitions) + ": " + err);
      ++stats.rebalances;
      stats.owned_partitions = owned_list();
      if (stats.owned_partitions.empty()) empty_since = std::chrono::steady_clock::now();
      log_info("offsets", module.name, ": cluster-group ", module.cluster_group, " rebalanced: lost ",
               list_text(r.partitions), r.lost ? " (membership lost)" : "", ", gained []; owns ",
               list_text(stats.owned_partitions));
      update_progress();
      if (state_changed) state_changed();
      co_return;
    }
    if (hooks.gain) co_await hooks.gain(r.partitions);  // issue 14 part 2/3
    co_await gain(r.partitions);
  }

  // Log-start (-2) or log-end (-1) offsets of `ps`; retried a little, since the rebalance waits.
  task<kafka::end_offsets_result> offsets_of(const std::vector<std::int32_t>& ps, std::int64_t which, int attempts) {
    std::map<std::string, std::vector<std::int32_t>> query{{module.offsets_topic, ps}};
    auto* rk = consumer->raw();
    kafka::end_offsets_result got;
    for (int i = 0; i < attempts && !self.stopping(); ++i) {
      if (i > 0) co_await wait_for(std::chrono::seconds(1));
      const int timeout = i == 0 ? blocking_timeout_ms : retry_timeout_ms;
      std::function<kafka::end_offsets_result()> list = [rk, query, which, timeout] {
        return kafka::list_offsets(rk, query, which, timeout);
      };
      got = co_await pool.offload(std::move(list));
      if (got.ok && got.failed_partitions == 0) break;
    }
    co_return got;
  }

  // Issue 14: partitions added by the group. Each starts at its snapshot (or pre-restart) position
  // when that lies within [log-start, log-end], else at the beginning after the store forgot it;
  // its replay target is its log end now. The first assignment also forgets every pending
  // partition it did not give.
  task<void> gain(const std::vector<std::int32_t>& given) {
    const auto count = static_cast<std::int32_t>(partitions.size());
    std::vector<std::int32_t> ps;
    for (auto p : given)
      if (p >= 0 && p < count) ps.push_back(p);
    const bool from_end = module.start_latest && !module.backfill_earliest;
    std::vector<std::int64_t> ends, log_start;
    if (!ps.empty() && !from_end) {
      auto got = co_await offsets_of(ps, -1, 3);
      if (self.stopping()) co_return;
      if (!got.ok || got.failed_partitions != 0)
        throw std::runtime_error("cluster-group " + module.cluster_group + ": cannot read the end offsets of " +
                                 list_text(ps) + ": " + got.error);
      ends = got.offsets[module.offsets_topic];
      auto starts = co_await offsets_of(ps, -2, 1);
      if (starts.ok && starts.failed_partitions == 0) log_start = starts.offsets[module.offsets_topic];
      else
        log_warn("offsets", module.name, ": cannot read the log-start offsets of ", module.offsets_topic, " (",
                 starts.error, "); restored positions are checked against the log end only");
    }
    std::vector<std::int32_t> forget;
    std::vector<std::int64_t> starts;
    std::size_t resumed = 0;
    std::int64_t left = 0;
    for (std::size_t i = 0; i < ps.size(); ++i) {
      const auto p = ps[i];
      const auto at = static_cast<std::size_t>(p);
      // list_offsets answers by partition id.
      const std::int64_t end = at < ends.size() ? std::max<std::int64_t>(ends[at], 0) : 0;
      const bool start_known = at < log_start.size() && log_start[at] >= 0;
      const std::int64_t first = start_known ? log_start[at] : 0;
      auto pend = pending.find(p);
      std::int64_t start = -2;
      if (from_end) {
        start = -1;
        targets[at] = 0;
      } else if (pend != pending.end() && pend->second >= first && pend->second <= end) {
        start = pend->second;
        ++resumed;
        targets[at] = end;
      } else {
        if (pend != pending.end()) forget.push_back(p);
        // Everything below the log start is gone: a partition with no record left is read already.
        targets[at] = start_known && first >= end ? 0 : end;
      }
      if (pend != pending.end()) pending.erase(pend);
      next[at] = start;
      starts.push_back(start);
      left += std::max<std::int64_t>(targets[at] - std::max<std::int64_t>(start, 0), 0);
    }
    const std::size_t dropped_pending = forget.size() + (stats.assigned ? 0 : pending.size());
    if (!stats.assigned) {  // the first assignment decides about the rest of the pending partitions
      for (const auto& [p, position] : pending) forget.push_back(p);
      pending.clear();
    }
    if (!forget.empty()) co_await forget_partitions(forget, count);
    auto* c = consumer.get();
    std::function<std::string()> take = [c, ps, starts] { return c->incremental_assign(ps, starts); };
    const std::string err = co_await pool.offload(std::move(take));
    if (!err.empty())
      throw std::runtime_error("cluster-group " + module.cluster_group + ": cannot take " + list_text(ps) + ": " + err);
    for (auto p : ps) owned[static_cast<std::size_t>(p)] = 1;
    const bool was_empty = stats.assigned && stats.owned_partitions.empty();
    stats.assigned = true;
    ++stats.rebalances;
    stats.owned_partitions = owned_list();
    if (stats.owned_partitions.empty() && !was_empty) empty_since = std::chrono::steady_clock::now();
    log_info("offsets", module.name, ": cluster-group ", module.cluster_group, " rebalanced: lost [], gained ",
             list_text(ps), " (", resumed, " resumed where they were read to, ", dropped_pending,
             " restored ones dropped), ", left, " records to read; owns ", list_text(stats.owned_partitions));
    update_progress();
    if (state_changed) state_changed();
  }

  // Replay (issue 12): the prefetch queue was just emptied. librdkafka 2.0.2 fetches a partition
  // that went over its queue bounds again only when the leader's broker thread next wakes (up to
  // 1 s later); a ListOffsets request is an op on that thread, so it wakes now and refetches.
  task<void> wake_fetcher() {
    auto* rk = consumer->raw();
    std::vector<std::int32_t> mine;  // cluster-group: the partitions this member reads
    for (std::size_t i = 0; i < partitions.size(); ++i)
      if (!grouped || owns(static_cast<std::int32_t>(i))) mine.push_back(partitions[i]);
    if (mine.empty()) co_return;
    std::map<std::string, std::vector<std::int32_t>> query{{module.offsets_topic, std::move(mine)}};
    std::function<kafka::end_offsets_result()> list = [rk, query] { return kafka::list_offsets(rk, query, -1, 1000); };
    co_await pool.offload(std::move(list));
    ++stats.fetcher_wakes;
  }

  // After a drain: the topic readable again after a refusal (issue 13, fallback = "none"), the
  // replay's progress and its fetcher woken, and the heap trimmed once it is caught up.
  task<void> after_drain(std::uint64_t records_before) {
    if (!stats.unreadable.empty() && stats.records > records_before) {
      log_info("offsets", "consumer ", module.name, ": ", module.offsets_topic, " can be read again");
      stats.unreadable.clear();
      if (state_changed) state_changed();
    }
    update_progress();
    if (!stats.caught_up && consumer && stats.records > records_before) co_await wake_fetcher();
    if (stats.caught_up && !heap_trimmed) {
      heap_trimmed = true;
      co_await trim_heap();
    }
  }

  // Issue 12: once the replay is read, the memory of its fetch buffers and batches is free but glibc
  // keeps much of it resident (free chunks inside the heap and the thread arenas). malloc_trim
  // returns those pages; it walks every arena, so it runs off the io thread. jemalloc and mimalloc
  // return freed pages by themselves (WARREN_ALLOCATOR); there it finds next to nothing to do.
  task<void> trim_heap() {
#if defined(__GLIBC__)
    std::function<void()> trim = [] { malloc_trim(0); };
    co_await pool.offload(std::move(trim));
#else
    co_return;
#endif
  }

  task<void> drain() {
    std::vector<kafka::fetched> records;
    std::vector<kafka::consumer_event> events;
    records.reserve(batch_max);
    while (!self.stopping()) {
      self.checkpoint();
      records.clear();
      events.clear();
      std::size_t n = consumer->poll_batch(batch_max, records, events);
      if (n == 0) co_return;
      // Issue 14: revocations take effect at once: this batch's records of a revoked partition are
      // not stored (the store forgets the partition with this batch).
      std::vector<kafka::rebalance> rebalances;
      std::vector<std::int32_t> lost;
      for (auto& e : events) {
        if (!e.rebalance) {
          on_event(e);
          continue;
        }
        if (!e.rebalance->assigned)
          for (auto p : e.rebalance->partitions)
            if (owns(p)) {
              owned[static_cast<std::size_t>(p)] = 0;
              lost.push_back(p);
            }
        rebalances.push_back(std::move(*e.rebalance));
      }
      if (!records.empty()) {
        if (!stats.connected) log_info("offsets", module.name, ": brokers reachable again; reading resumes");
        set_connected(true);
        stats.last_record_ms = time.wall_ms();
      }
      // No reserve per record: consecutive commits become one commit_block command.
      store_cmd::batch b{module.cluster, {}};
      records_left = records.size();
      for (const auto& r : records) {
        if (!grouped || owns(r.partition)) handle(r, b.commands);
        --records_left;
      }
      consumer->release();  // decoded views were copied into the commands
      add_self_report(b.commands);
      add_positions(b.commands);  // issue 14
      if (!lost.empty()) {  // issue 14: after the partitions' last stored records
        add_forget(b.commands, lost, static_cast<std::int32_t>(partitions.size()));
        for (auto p : lost) {
          next[static_cast<std::size_t>(p)] = -2;
          targets[static_cast<std::size_t>(p)] = 0;
        }
      }
      if (!lost.empty() && hooks.revoke) {  // issue 14 part 2/3: hand the state over first
        bool membership_lost = false;
        for (const auto& r : rebalances) membership_lost = membership_lost || (!r.assigned && r.lost);
        co_await hooks.revoke(lost, membership_lost);
      }
      // Positions advance only once the batch is handed over: a failure before this point
      // re-reads the batch after the restart, so no commit is lost.
      if (!b.commands.empty()) co_await to_store(std::move(b));
      for (std::size_t i = 0; i < touched.size(); ++i)
        if (touched[i] != -3) {
          next[i] = touched[i];
          touched[i] = -3;
        }
      for (const auto& r : rebalances) co_await answer(r);  // issue 14
      if (grouped || !stats.caught_up) update_progress();
    }
  }

  // Burrow's self-monitoring: the reader's own position per offsets-topic partition, as commits
  // of `burrow-<consumer>` (Burrow stores one per message; one per partition per batch is the
  // same window with less work).
  void add_self_report(std::vector<store_cmd::command>& out) {
    if (!module.self_report) return;
    const timestamp_ms now{time.wall_ms()};
    for (std::size_t i = 0; i < touched.size(); ++i)
      if (touched[i] >= 0)
        out.emplace_back(store_cmd::commit{.group = group_name{self_group},
                                           .topic = topic_name{module.offsets_topic},
                                           .partition = partition_id{static_cast<std::int32_t>(i)},
                                           .offset = offset_t{touched[i]},
                                           .order = touched[i] - 1,
                                           .timestamp = now});
  }

  // Issue 14: the positions this batch moved, after its commands: the store records them (for its
  // snapshot) only once everything read before them is applied.
  void add_positions(std::vector<store_cmd::command>& out) {
    if (!resume) return;  // snapshots off
    for (auto t : touched)
      if (t >= 0) {
        out.emplace_back(store_cmd::offsets_positions{touched});
        return;
      }
  }

  // Issue 14: start each partition at the snapshot's position when it is within the partition's
  // [log-start, end at start]; otherwise replay it, after the store dropped its groups.
  task<void> apply_resume(rd_kafka_s* rk, const std::string& topic) {
    if (!resume || resume->empty()) co_return;
    const std::vector<std::int64_t> want = std::move(*resume);
    resume->clear();  // stays engaged: positions keep being reported
    const auto old_count = static_cast<std::int32_t>(want.size());
    std::vector<std::int32_t> replay;
    std::size_t unknown = 0, resumed = 0;
    if (want.size() != partitions.size()) {
      log_warn("offsets", module.name, ": the snapshot is of ", want.size(), " partitions of ", topic, ", which has ",
               partitions.size(), " now: every partition is read from the beginning");
      for (std::int32_t p = 0; p < old_count; ++p) replay.push_back(p);
    } else {
      std::map<std::string, std::vector<std::int32_t>> query{{topic, partitions}};
      std::function<kafka::end_offsets_result()> list = [rk, query] {
        return kafka::list_offsets(rk, query, -2, blocking_timeout_ms);
      };
      auto starts = co_await pool.offload(std::move(list));
      std::vector<std::int64_t> log_start;
      if (starts.ok && starts.failed_partitions == 0) log_start = starts.offsets[topic];
      else
        log_warn("offsets", module.name, ": cannot read the log-start offsets of ", topic, " (", starts.error,
                 "); snapshot positions are checked against the log end only");
      for (std::size_t i = 0; i < want.size(); ++i) {
        const std::int64_t w = want[i];
        const std::int64_t start = i < log_start.size() ? std::max<std::int64_t>(log_start[i], 0) : 0;
        const std::int64_t end = i < targets.size() ? targets[i] : 0;
        if (w >= start && w <= end) {
          next[i] = w;
          ++resumed;
          continue;
        }
        if (w < 0) {  // nothing was read there before the snapshot: no group of it is stored
          ++unknown;
          continue;
        }
        replay.push_back(static_cast<std::int32_t>(i));
        log_warn("offsets", module.name, ": snapshot position ", w, " of ", topic, "/", i,
                 w < start ? " is below the log start " : " is beyond the log end ", w < start ? start : end,
                 ": that partition is read from the beginning, its groups dropped first");
      }
    }
    if (!replay.empty()) {
      store_cmd::batch b{module.cluster, {}};
      for (auto p : replay)
        b.commands.emplace_back(store_cmd::forget_offsets_partition{.partition = p, .partition_count = old_count});
      co_await to_store(std::move(b));
    }
    std::int64_t left = 0;
    for (std::size_t i = 0; i < partitions.size(); ++i)
      left += std::max<std::int64_t>(i < targets.size() ? targets[i] : 0, 0) - std::max<std::int64_t>(next[i], 0);
    log_info("offsets", module.name, ": resuming ", resumed, " of ", partitions.size(),
             " partitions of ", topic, " from the snapshot (", unknown, " had no position); ", left,
             " records left to read");
  }

  void on_event(const kafka::consumer_event& e) {
    if (e.all_brokers_down) {
      if (stats.connected) log_warn("offsets", module.name, ": all brokers are down: ", e.message);
      set_connected(false);
      return;
    }
    if (e.topic_authorization_failed) {  // issue 13: no READ on the offsets topic
      topic_unreadable("TOPIC_AUTHORIZATION_FAILED: no READ on the topic (" + e.message + ")");
      return;
    }
    // Issue 14: a member's errors (group authorization, coordinator, session timeout) explain a
    // missing assignment: each kind is logged once.
    if (grouped && e.code != 0 && warned_events.size() < 64 && warned_events.insert(e.message).second) {
      log_warn("offsets", module.name, ": cluster-group ", module.cluster_group, ": ", e.message);
      return;
    }
    log_debug("offsets", module.name, ": consumer event: ", e.message);
  }

  void handle(const kafka::fetched& r, std::vector<store_cmd::command>& out) {
    ++stats.records;
    if (r.partition >= 0 && static_cast<std::size_t>(r.partition) < touched.size())
      touched[static_cast<std::size_t>(r.partition)] = r.offset + 1;
    auto d = offsets::decode(r.key, r.value);
    std::visit(
        overloaded{
            [&](const offsets::offset_commit& c) {
              if (!group_allowed(c.group)) {
                ++stats.filtered;
                return;
              }
              ++stats.commits;
              // Consecutive commits share one block: names copied once per block, not per commit.
              auto* block = out.empty() ? nullptr : std::get_if<store_cmd::commit_block>(&out.back());
              if (!block) {
                block = &std::get<store_cmd::commit_block>(out.emplace_back(store_cmd::commit_block{}));
                block->commits.reserve(records_left);
                block_names.reset();
              }
              block_names.add(*block, c.group, c.topic, partition_id{c.partition}, offset_t{c.offset}, r.offset,
                              timestamp_ms{c.commit_timestamp});
            },
            [&](const offsets::offset_tombstone& t) {
              // Burrow ignores these (#818); the offset is gone, so Warren forgets it.
              ++stats.tombstones;
              if (group_allowed(t.group))
                out.emplace_back(store_cmd::forget_partition{.group = group_name{std::string(t.group)},
                                                             .topic = topic_name{std::string(t.topic)},
                                                             .partition = partition_id{t.partition}});
            },
            [&](const offsets::group_metadata& g) {
              ++stats.group_metadata;
              if (g.protocol_type != "consumer" || !group_allowed(g.group)) return;
              // A new generation replaces the whole assignment: partitions no member owns any
              // more lose their owner (Burrow keeps stale owners until the group is empty).
              out.emplace_back(store_cmd::clear_owners{.group = group_name{std::string(g.group)}});
              for (const auto& m : g.members)
                for (const auto& ta : m.assignment)
                  for (auto p : ta.partitions)
                    out.emplace_back(store_cmd::owner{.group = group_name{std::string(g.group)},
                                                      .topic = topic_name{std::string(ta.topic)},
                                                      .partition = partition_id{p},
                                                      .host = std::string(m.client_host),
                                                      .client_id = std::string(m.client_id)});
            },
            [&](const offsets::group_tombstone& t) {
              ++stats.tombstones;
              out.emplace_back(store_cmd::delete_group{.group = group_name{std::string(t.group)}});
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

  // Issue 14, cluster-group: caught up = every owned partition read to its end at assignment (not
  // before the first assignment). READY (latched) = caught up on a non-empty assignment, or on an
  // empty one that lasted a session timeout: with cooperative-sticky a joining member's first
  // assignment is empty whenever the others own everything, and its share comes one round later,
  // so an empty assignment alone says nothing (it stays empty only with more instances than
  // partitions).
  void update_group_progress() {
    std::int64_t sum = 0, target_sum = 0;
    bool all = stats.assigned;
    for (std::size_t i = 0; i < owned.size(); ++i) {
      if (!owned[i]) continue;
      const auto target = targets[i];
      auto p = next[i];
      if (target > 0 && p < target) {
        auto pos = consumer->positions({static_cast<std::int32_t>(i)});
        if (pos.empty() || pos[0] < target) all = false;
        else p = pos[0];
      }
      sum += std::min(std::max<std::int64_t>(p, 0), std::max<std::int64_t>(target, 0));
      target_sum += std::max<std::int64_t>(target, 0);
    }
    stats.replay_position = sum;
    stats.replay_target = target_sum;
    auto now = std::chrono::steady_clock::now();
    const bool settled = !stats.owned_partitions.empty() || now - empty_since >= module.cluster_group_session_timeout;
    if (all && !stats.ready && settled) {
      stats.ready = true;
      log_info("offsets", module.name, ": ready: caught up on its first assignment of ", stats.owned_partitions.size(),
               " partitions of ", module.offsets_topic);
      if (state_changed) state_changed();
    }
    if (all != stats.caught_up) {
      stats.caught_up = all;
      if (all)
        log_info("offsets", module.name, ": caught up on its ", stats.owned_partitions.size(), " partitions of ",
                 module.offsets_topic, " (", stats.records, " records read)");
      if (state_changed) state_changed();
      return;
    }
    if (!all && stats.assigned && now - last_progress_log > std::chrono::seconds(5)) {
      last_progress_log = now;
      log_info("offsets", module.name, ": replaying ", sum, " of ", target_sum, " (",
               target_sum ? 100 * sum / target_sum : 100, "%) on ", stats.owned_partitions.size(), " partitions");
    }
  }

  void update_progress() {
    if (grouped && consumer) return update_group_progress();
    if (stats.caught_up || !consumer) return;
    std::int64_t sum = 0;
    bool all = true;
    for (std::size_t i = 0; i < partitions.size(); ++i) {
      auto target = i < targets.size() ? targets[i] : 0;
      auto p = i < next.size() ? next[i] : -1;
      // Negative = nothing read yet; a partition whose end is 0 (or whose records were all
      // compacted away) is caught up once its position is known or its target is 0.
      if (target > 0 && p < target) {
        auto pos = consumer->positions({partitions[i]});
        if (pos.empty() || pos[0] < target) all = false;
        else p = pos[0];
      }
      sum += std::min(std::max<std::int64_t>(p, 0), std::max<std::int64_t>(target, 0));
    }
    stats.replay_position = sum;
    auto now = std::chrono::steady_clock::now();
    if (all) {
      stats.caught_up = stats.ready = true;
      log_info("offsets", module.name, ": replay complete (", stats.records, " records read)");
      if (state_changed) state_changed();
    } else if (now - last_progress_log > std::chrono::seconds(5)) {
      last_progress_log = now;
      log_info("offsets", module.name, ": replaying ", sum, " of ", stats.replay_target, " (",
               stats.replay_target ? 100 * sum / stats.replay_target : 100, "%)");
    }
  }
};

offsets_reader::offsets_reader(asio::any_io_executor ex, supervisor& sup, blocking_pool& pool,
                               const consumer_module& module, kafka::client_settings settings, sink to_store,
                               const clock& clk)
    : impl_(std::make_unique<impl>(ex, sup, pool, module, std::move(settings), std::move(to_store), clk)) {}
offsets_reader::~offsets_reader() = default;

void offsets_reader::on_state_change(std::function<void()> f) { impl_->state_changed = std::move(f); }
void offsets_reader::on_rebalance(rebalance_hooks hooks) { impl_->hooks = std::move(hooks); }
void offsets_reader::on_unreadable(std::function<void(const std::string&)> f) { impl_->unreadable_hook = std::move(f); }
void offsets_reader::start() { impl_->self.start(); }
void offsets_reader::resume_from(std::vector<std::int64_t> next) { impl_->resume = std::move(next); }

task<void> offsets_reader::stop() {
  co_await impl_->self.stop();
  co_await impl_->discard_client();
}

const std::string& offsets_reader::name() const { return impl_->module.name; }
const std::string& offsets_reader::cluster() const { return impl_->module.cluster; }
const reader_stats& offsets_reader::stats() const { return impl_->stats; }
bool offsets_reader::up() const { return impl_->self.health().up; }

}  // namespace warren
