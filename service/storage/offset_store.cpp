#include "service/storage/offset_store.hpp"

#include <boost/asio/steady_timer.hpp>
#include <optional>
#include <set>

#include "service/core/actor.hpp"
#include "service/core/log.hpp"
#include "service/core/mailbox.hpp"
#include "service/core/overloaded.hpp"

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
    self.on_interrupt([this] { expiry.cancel(); });
  }

  asio::any_io_executor ex;
  const clock& time;
  std::map<std::string, cluster_state, std::less<>> states;
  mailbox<store_cmd::batch> inbox;
  asio::steady_timer expiry;
  change_sink* sink = nullptr;
  store_stats stats;
  std::optional<store_cmd::batch> in_flight;  // received, not yet applied: retried after a restart
  int in_flight_failures = 0;
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
    for (const auto& g : removed) changed.erase(g);
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
        continue;
      }
      self.checkpoint();
      apply(*in_flight);
      in_flight.reset();
    }
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
}

task<void> offset_store::send(store_cmd::batch batch) {
  if (impl_->self.stopping()) co_return;
  co_await impl_->inbox.send(std::move(batch));
}

bool offset_store::try_send(store_cmd::batch batch) {
  if (!impl_->self.stopping() && impl_->inbox.try_send(batch)) return true;
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
std::size_t offset_store::queued_batches() const { return impl_->inbox.queued() + (impl_->in_flight ? 1 : 0); }

}  // namespace warren
