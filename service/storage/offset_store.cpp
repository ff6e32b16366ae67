#include "service/storage/offset_store.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <optional>
#include <set>

#include "service/core/actor.hpp"
#include "service/core/log.hpp"
#include "service/core/mailbox.hpp"
#include "service/core/overloaded.hpp"
#include "service/core/offload.hpp"
#include "service/storage/snapshot.hpp"

namespace warren {
namespace {
constexpr std::size_t mailbox_capacity = 16;
constexpr int poison_retries = 3;  // a batch that throws this often is dropped (counted, logged)
}  // namespace

struct offset_store::impl {
  impl(asio::any_io_executor e, supervisor& sup, const storage_options& o, const std::vector<std::string>& clusters,
       const clock& clk)
      : ex(e), time(clk), inbox(e, mailbox_capacity), expiry(e), self(e, sup, "offset_store", "", clk) {
    for (const auto& c : clusters) states.emplace(c, cluster_state(o));
    self.add_loop("receive", [this] { return receive_loop(); });
    self.add_loop("expiry", [this] { return expire_loop(); });
    self.on_interrupt([this] {
      expiry.cancel();
      snap_timer.cancel();  // issue 14
    });
  }

  asio::any_io_executor ex;
  const clock& time;
  std::map<std::string, cluster_state, std::less<>> states;
  mailbox<store_cmd::batch> inbox;
  asio::steady_timer expiry;
  change_sink* sink = nullptr;
  store_stats stats;
  std::vector<std::uint8_t> marked;  // apply(): per name id of a commit_block, group already changed
  std::optional<store_cmd::batch> in_flight;  // received, not yet applied: retried after a restart
  int in_flight_failures = 0;
  // Issue 14: snapshots. positions: per cluster, the reader's next offset per offsets partition as
  // applied so far (−1 = unknown), from offsets_positions commands and the loaded snapshot.
  snapshot_settings snap;
  std::map<std::string, std::vector<std::int64_t>, std::less<>> positions;
  std::unique_ptr<blocking_pool> snap_pool;
  snapshot_stats snap_stats;
  bool snap_writing = false;
  asio::steady_timer snap_timer{ex};
  actor self;  // last: its loops capture this

  void notify(const std::string& cluster, const std::set<std::string>& changed, bool removed) {
    if (!sink) return;
    for (const auto& g : changed) {
      if (removed) sink->group_removed(cluster, g);
      else sink->group_changed(cluster, g);
    }
  }

  void apply(const store_cmd::batch& b) {
    auto it = states.find(b.cluster);
    if (it == states.end()) return;  // Burrow rule 1: unknown cluster
    auto& st = it->second;
    ++stats.batches;
    const timestamp_ms now{time.wall_ms()};
    std::set<std::string> changed, removed;
    std::string_view last_changed;  // the group most recently inserted into `changed` by a commit
    std::vector<std::string> resolved;
    for (const auto& cmd : b.commands) {
      std::visit(
          overloaded{
              [&](const store_cmd::commit& c) {
                ++stats.commits;
                auto outcome = st.add_commit(
                    commit_update{.group = c.group.value, .topic = c.topic.value, .partition = c.partition,
                                  .offset = c.offset, .order = c.order, .timestamp = c.timestamp},
                    now);
                if (group_changed(outcome)) {
                  ++stats.commits_stored;
                  // A group's commits arrive in runs (one OffsetCommit request covers many
                  // partitions): skip the set lookup while the group repeats.
                  if (last_changed != c.group.value) {
                    changed.insert(c.group.value);
                    last_changed = c.group.value;
                  }
                } else if (outcome == commit_outcome::held) {
                  ++stats.commits_held;
                } else {
                  ++stats.commits_dropped;
                }
              },
              [&](const store_cmd::commit_block& cb) {
                // The reader's commits, names interned per block: each group is marked changed once
                // per block (by id), its name copied once into `changed`.
                marked.assign(cb.names.size(), 0);
                for (const auto& e : cb.commits) {
                  ++stats.commits;
                  const std::string_view group = cb.name(e.group);
                  auto outcome = st.add_commit(commit_update{.group = group, .topic = cb.name(e.topic),
                                                             .partition = e.partition, .offset = e.offset,
                                                             .order = e.order, .timestamp = e.timestamp},
                                               now);
                  if (group_changed(outcome)) {
                    ++stats.commits_stored;
                    if (!marked[e.group]) {
                      marked[e.group] = 1;
                      changed.emplace(group);
                    }
                  } else if (outcome == commit_outcome::held) {
                    ++stats.commits_held;
                  } else {
                    ++stats.commits_dropped;
                  }
                }
              },
              [&](const store_cmd::forget_partition& f) {
                if (st.forget_partition(f.group.value, f.topic.value, f.partition)) {
                  if (st.has_group(f.group.value)) changed.insert(f.group.value);
                  else removed.insert(f.group.value);
                }
              },
              [&](const store_cmd::owner& o) {
                if (st.set_owner(owner_update{.group = o.group.value, .topic = o.topic.value, .partition = o.partition,
                                              .owner = o.host, .client_id = o.client_id},
                                 now))
                  changed.insert(o.group.value);
              },
              [&](const store_cmd::clear_owners& c) {
                if (st.clear_owners(c.group.value)) changed.insert(c.group.value);
              },
              [&](const store_cmd::delete_group& d) {
                if (d.topic.value.empty()) {
                  if (st.delete_group(d.group.value)) removed.insert(d.group.value);
                } else if (st.delete_group_topic(d.group.value, d.topic.value)) {
                  if (st.has_group(d.group.value)) changed.insert(d.group.value);
                  else removed.insert(d.group.value);
                }
              },
              [&](const store_cmd::broker_offsets& o) {
                resolved.clear();
                bool any = false;
                for (std::size_t p = 0; p < o.offsets.size(); ++p) {
                  if (o.offsets[p] < 0) continue;
                  any = true;
                  st.set_broker_offset(broker_offset_update{.topic = o.topic.value,
                                                            .partition = partition_id{static_cast<std::int32_t>(p)},
                                                            .partition_count = o.partition_count,
                                                            .offset = offset_t{o.offsets[p]}},
                                       o.observed_at, &resolved);
                }
                for (auto& g : resolved) changed.insert(std::move(g));
                for (std::size_t p = 0; p < o.log_start.size(); ++p)
                  if (o.log_start[p] >= 0)
                    st.set_log_start(o.topic.value, partition_id{static_cast<std::int32_t>(p)}, offset_t{o.log_start[p]});
                // Current lags and the broker window moved: every group consuming the topic is
                // dirty (from the per-topic index, not a scan of all groups).
                if (any) {
                  resolved.clear();
                  st.consumers_of(o.topic.value, resolved);
                  for (auto& g : resolved) changed.insert(std::move(g));
                }
              },
              [&](const store_cmd::delete_topic& d) {
                for (auto& g : st.delete_topic(d.topic.value)) {
                  if (st.has_group(g)) changed.insert(g);
                  else removed.insert(g);
                }
              },
              [&](const store_cmd::topic_config& t) {
                // Read by the next evaluation (every log-end round dirties the topic's groups).
                st.set_retention(t.topic.value, t.retention_ms);
              },
              [&](const store_cmd::offsets_positions& p) {  // issue 14
                auto& pos = positions[b.cluster];
                if (pos.size() != p.next.size()) pos.assign(p.next.size(), -1);
                for (std::size_t i = 0; i < p.next.size(); ++i)
                  if (p.next[i] >= 0) pos[i] = p.next[i];
              },
              [&](const store_cmd::forget_offsets_partition& f) {  // issue 14
                for (auto& g : st.forget_offsets_partition(f.partition, f.partition_count)) removed.insert(std::move(g));
                auto& pos = positions[b.cluster];
                if (f.partition >= 0 && static_cast<std::size_t>(f.partition) < pos.size())
                  pos[static_cast<std::size_t>(f.partition)] = -1;
              },
              [&](const store_cmd::keep_only_groups& k) {
                std::set<std::string_view> keep(k.groups.begin(), k.groups.end());
                for (const auto& g : st.groups())
                  if (!keep.count(g) && st.delete_group(g)) {
                    log_info("storage", b.cluster, ": group ", g, " no longer exists in the cluster; removed");
                    removed.insert(g);
                  }
              },
          },
          cmd);
    }
    // The final state decides: a group removed and then stored again within the batch changed.
    for (auto r = removed.begin(); r != removed.end();) {
      if (st.has_group(*r)) {
        changed.insert(*r);
        r = removed.erase(r);
      } else {
        changed.erase(*r);
        ++r;
      }
    }
    notify(b.cluster, changed, false);
    notify(b.cluster, removed, true);
  }

  task<void> receive_loop() {
    while (!self.stopping()) {
      if (!in_flight) {
        auto b = co_await inbox.receive();
        if (!b) co_return;  // closed: stopping
        in_flight = std::move(b);
        in_flight_failures = 0;
      }
      if (++in_flight_failures > poison_retries) {
        ++stats.batches_poisoned;
        log_error("storage", in_flight->cluster, ": dropped a batch of ", in_flight->commands.size(),
                  " commands that failed ", poison_retries, " times");
        in_flight.reset();
        finished_batch();
        continue;
      }
      self.checkpoint();
      apply(*in_flight);
      in_flight.reset();
      finished_batch();
    }
  }
  void finished_batch() {
    ++stats.batches_done;
    if (sink) sink->batch_done(stats.batches_done);
  }

  void expire_all() {
    const timestamp_ms now{time.wall_ms()};
    for (auto& [name, st] : states) {
      auto gone = st.expire(now);
      stats.groups_expired += gone.size();
      std::set<std::string> removed_groups(gone.begin(), gone.end());
      notify(name, removed_groups, true);
    }
  }

  // ---- issue 14: snapshots ------------------------------------------------------------------

  task<void> snapshot_loop() {
    while (!self.stopping()) {
      snap_timer.expires_after(snap.interval);
      co_await snap_timer.async_wait(use_nothrow);
      if (self.stopping()) co_return;
      self.checkpoint();
      co_await write_all();
    }
  }

  task<void> write_all() {
    if (snap.dir.empty() || snap_writing) co_return;
    snap_writing = true;
    try {
      for (const auto& [cluster, topic] : snap.offsets_topics) co_await write_one(cluster, topic);
    } catch (...) {
      snap_writing = false;
      throw;
    }
    snap_writing = false;
  }

  // The positions and the split of the groups into offsets partitions are taken at one instant;
  // the groups are then copied in slices, between which batches keep being applied. A group thus
  // holds what was applied up to its slice, never less than the recorded position covers, so
  // nothing is lost; replaying the few records in between on restart is harmless (Burrow rule 6
  // drops a commit whose order is already stored; owners and tombstones apply again the same way).
  task<void> write_one(const std::string& cluster, const std::string& topic) {
    using steady = std::chrono::steady_clock;
    auto st_it = states.find(cluster);
    auto pos_it = positions.find(cluster);
    if (st_it == states.end() || pos_it == positions.end() || pos_it->second.empty()) {
      log_debug("storage", cluster, ": no snapshot yet (the offsets reader has not reported a position)");
      co_return;
    }
    const auto& st = st_it->second;
    const auto started = steady::now();
    auto slice_start = started;
    std::int64_t io_us = 0, max_slice_us = 0;
    auto end_slice = [&] {
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - slice_start).count();
      io_us += us;
      max_slice_us = std::max<std::int64_t>(max_slice_us, us);
    };
    const std::vector<std::int64_t> pos = pos_it->second;
    const auto count = static_cast<std::int32_t>(pos.size());
    const auto buckets = st.groups_by_offsets_partition(count);
    snapshot::header h;
    h.cluster = cluster;
    h.offsets_topic = topic;
    h.intervals = static_cast<std::uint32_t>(st.options().intervals);
    h.partition_count = static_cast<std::uint32_t>(count);
    h.written_at_ms = time.wall_ms();
    std::vector<std::string> chunks;
    chunks.reserve(pos.size() + 1);
    chunks.push_back(snapshot::encode_header(h));
    std::uint64_t groups = 0, bytes = chunks.back().size() + 4;
    // A slice ends after 4096 stored partitions (or 1024 groups): ~10 ms of io-thread time on the
    // development machine in Debug, whatever the group sizes (a slice of 1 024 groups of 100
    // partitions held it 683 ms). One group is never split, so a single group with more
    // partitions than that is one longer slice.
    constexpr std::size_t slice_groups = 1024, slice_slots = 4096;
    snapshot::partition_image part;
    for (std::int32_t p = 0; p < count; ++p) {
      const auto& names = buckets[static_cast<std::size_t>(p)];
      snapshot::partition_encoder enc;
      enc.start(pos[static_cast<std::size_t>(p)] < 0 ? -1 : pos[static_cast<std::size_t>(p)]);
      std::size_t i = 0;
      while (i < names.size()) {
        end_slice();
        co_await asio::post(ex, asio::use_awaitable);  // let batches and queries run
        slice_start = steady::now();
        const auto& state = states.at(cluster);
        std::size_t slots = 0;
        for (const auto end = std::min(names.size(), i + slice_groups); i < end && slots < slice_slots; ++i) {
          part.groups.clear();
          state.export_groups(std::span<const std::string>(names).subspan(i, 1), part);
          for (const auto& g : part.groups) {
            for (const auto& t : g.topics) slots += t.slots.size();
            enc.add(g);
          }
        }
      }
      enc.finish();
      groups += enc.groups;
      bytes += enc.bytes.size();
      chunks.push_back(std::move(enc.bytes));
    }
    end_slice();
    const auto path = snapshot::file_for(snap.dir, cluster);
    std::function<std::string()> write = [&chunks, path] { return snapshot::write_file(path, chunks); };
    const std::string err = co_await snap_pool->offload(std::move(write));
    const auto total_ms = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - started).count();
    if (!err.empty()) {
      ++snap_stats.failed;
      log_error("storage", cluster, ": snapshot not written: ", err);
      co_return;
    }
    const bool first = snap_stats.written == 0;
    ++snap_stats.written;
    snap_stats.last_bytes = bytes;
    snap_stats.last_groups = groups;
    snap_stats.last_io_thread_us = io_us;
    snap_stats.last_max_slice_us = max_slice_us;
    snap_stats.last_total_ms = total_ms;
    auto text = [&] {
      return std::to_string(groups) + " groups, " + std::to_string(bytes) + " bytes, " + std::to_string(total_ms) +
             " ms (io thread " + std::to_string(io_us / 1000) + " ms, longest slice " +
             std::to_string(max_slice_us) + " us)";
    };
    if (first || self.stopping()) log_info("storage", cluster, ": snapshot written to ", path.string(), ": ", text());
    else log_debug("storage", cluster, ": snapshot written: ", text());
  }

  std::vector<std::int64_t> load(const std::string& cluster) {
    const auto started = std::chrono::steady_clock::now();
    auto topic = snap.offsets_topics.find(cluster);
    auto st_it = states.find(cluster);
    if (snap.dir.empty() || topic == snap.offsets_topics.end() || st_it == states.end()) return {};
    const auto path = snapshot::file_for(snap.dir, cluster);
    const std::string replay = "; reading the offsets topic from the beginning";
    std::string err;
    auto bytes = snapshot::read_file(path, err);
    if (!bytes) {
      if (err.empty()) log_info("storage", cluster, ": no snapshot at ", path.string(), replay);
      else log_warn("storage", cluster, ": snapshot ignored: ", err, replay);
      return {};
    }
    auto decoded = snapshot::decode(*bytes);
    bytes.reset();
    if (!decoded.value) {
      log_warn("storage", cluster, ": snapshot ", path.string(), " ignored: ", decoded.error, replay);
      return {};
    }
    const auto& img = *decoded.value;
    auto& st = st_it->second;
    std::string mismatch;
    if (img.head.cluster != cluster) mismatch = "it is of cluster " + img.head.cluster;
    else if (img.head.offsets_topic != topic->second) mismatch = "it is of offsets topic " + img.head.offsets_topic;
    else if (img.head.intervals != static_cast<std::uint32_t>(st.options().intervals))
      mismatch = "it was taken with [storage] intervals " + std::to_string(img.head.intervals) + ", now " +
                 std::to_string(st.options().intervals);
    else if (st.group_count() != 0) mismatch = "the store already holds groups";
    if (!mismatch.empty()) {
      log_warn("storage", cluster, ": snapshot ", path.string(), " ignored: ", mismatch, replay);
      return {};
    }
    const auto r = st.import_snapshot(img, timestamp_ms{time.wall_ms()});
    std::vector<std::int64_t> next;
    next.reserve(img.partitions.size());
    for (const auto& p : img.partitions) next.push_back(p.next_offset);
    positions[cluster] = next;
    if (sink)  // the evaluator rates every restored group (once broker data is back)
      for (const auto& g : st.groups()) sink->group_changed(cluster, g);
    snap_stats.loaded_groups += r.groups;
    snap_stats.load_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    log_info("storage", cluster, ": snapshot ", path.string(), " loaded in ", snap_stats.load_ms, " ms: ", r.groups,
             " groups (", r.skipped_filtered, " refused by the group filters) of ", next.size(),
             " offsets partitions, taken ", (time.wall_ms() - img.head.written_at_ms) / 1000, " s ago");
    return next;
  }

  task<void> expire_loop() {
    while (!self.stopping()) {
      expiry.expires_after(std::chrono::seconds(60));
      co_await expiry.async_wait(use_nothrow);
      if (self.stopping()) co_return;
      self.checkpoint();
      expire_all();
    }
  }
};

offset_store::offset_store(asio::any_io_executor ex, supervisor& sup, const storage_options& options,
                           const std::vector<std::string>& clusters, const clock& clk)
    : impl_(std::make_unique<impl>(ex, sup, options, clusters, clk)) {}
offset_store::~offset_store() = default;

void offset_store::set_sink(change_sink& sink) { impl_->sink = &sink; }
void offset_store::start() { impl_->self.start(); }

task<void> offset_store::stop() {
  impl_->inbox.close();
  co_await impl_->self.stop();
  if (impl_->snap_pool) {  // issue 14: the last snapshot, after the readers' last batches
    co_await impl_->write_all();
    impl_->snap_pool->join();
  }
}

task<void> offset_store::send(store_cmd::batch batch) {
  if (impl_->self.stopping()) co_return;
  ++impl_->stats.batches_received;  // counted before the wait: received >= done at every instant
  co_await impl_->inbox.send(std::move(batch));
}

bool offset_store::try_send(store_cmd::batch batch) {
  if (!impl_->self.stopping() && impl_->inbox.try_send(batch)) {
    ++impl_->stats.batches_received;
    return true;
  }
  ++impl_->stats.commands_refused;
  return false;
}

void offset_store::apply_now(const store_cmd::batch& batch) { impl_->apply(batch); }
void offset_store::expire_now() { impl_->expire_all(); }

const cluster_state* offset_store::cluster(std::string_view name) const {
  auto it = impl_->states.find(name);
  return it == impl_->states.end() ? nullptr : &it->second;
}

std::vector<std::string> offset_store::cluster_names() const {
  std::vector<std::string> out;
  for (const auto& [n, s] : impl_->states) out.push_back(n);
  return out;
}

const store_stats& offset_store::stats() const { return impl_->stats; }

void offset_store::enable_snapshots(snapshot_settings s) {
  if (s.dir.empty() || s.offsets_topics.empty()) return;
  impl_->snap = std::move(s);
  impl_->snap_pool = std::make_unique<blocking_pool>(1);
  impl_->self.add_loop("snapshot", [this] { return impl_->snapshot_loop(); });
}

std::vector<std::int64_t> offset_store::load_snapshot(const std::string& cluster) { return impl_->load(cluster); }
task<void> offset_store::write_snapshots() { co_await impl_->write_all(); }
const snapshot_stats& offset_store::snapshots() const { return impl_->snap_stats; }
std::size_t offset_store::queued_batches() const { return impl_->inbox.queued() + (impl_->in_flight ? 1 : 0); }

}  // namespace warren
