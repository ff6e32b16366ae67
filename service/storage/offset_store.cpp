#include "service/storage/offset_store.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/steady_timer.hpp>
#include <set>

#include "service/core/clock.hpp"
#include "service/core/log.hpp"
#include "service/core/overloaded.hpp"

namespace warren {
namespace {
constexpr std::size_t mailbox_capacity = 16;
}  // namespace

struct offset_store::impl {
  using channel = asio::experimental::channel<void(boost::system::error_code, store_cmd::batch)>;

  impl(asio::any_io_executor e, const storage_options& o, const std::vector<std::string>& clusters)
      : ex(e), mailbox(e, mailbox_capacity), expiry(e) {
    for (const auto& c : clusters) states.emplace(c, cluster_state(o));
  }

  asio::any_io_executor ex;
  std::map<std::string, cluster_state, std::less<>> states;
  channel mailbox;
  asio::steady_timer expiry;
  change_listener listener;
  store_stats stats;
  std::size_t queued = 0;
  bool stopping = false;

  void notify(const std::string& cluster, const std::set<std::string>& changed, bool removed) {
    if (!listener) return;
    for (const auto& g : changed) listener(cluster, g, removed);
  }

  void apply(const store_cmd::batch& b) {
    auto it = states.find(b.cluster);
    if (it == states.end()) return;  // Burrow rule 1: unknown cluster
    auto& st = it->second;
    ++stats.batches;
    const timestamp_ms now{wall_now_ms()};
    std::set<std::string> changed, removed;
    std::string_view last_changed;  // the group most recently inserted into `changed` by a commit
    std::vector<std::string> resolved;
    for (const auto& cmd : b.commands) {
      std::visit(
          overloaded{
              [&](const store_cmd::commit& c) {
                ++stats.commits;
                auto outcome = st.add_commit(
                    commit_update{c.group, c.topic, partition_id{c.partition}, offset_t{c.offset}, c.order,
                                  timestamp_ms{c.timestamp}},
                    now);
                if (group_changed(outcome)) {
                  ++stats.commits_stored;
                  // A group's commits arrive in runs (one OffsetCommit request covers many
                  // partitions): skip the set lookup while the group repeats.
                  if (last_changed != c.group) {
                    changed.insert(c.group);
                    last_changed = c.group;
                  }
                } else if (outcome == commit_outcome::held) {
                  ++stats.commits_held;
                } else {
                  ++stats.commits_dropped;
                }
              },
              [&](const store_cmd::forget_partition& f) {
                if (st.forget_partition(f.group, f.topic, partition_id{f.partition})) {
                  if (st.has_group(f.group)) changed.insert(f.group);
                  else removed.insert(f.group);
                }
              },
              [&](const store_cmd::owner& o) {
                if (st.set_owner(owner_update{o.group, o.topic, partition_id{o.partition}, o.host, o.client_id}, now))
                  changed.insert(o.group);
              },
              [&](const store_cmd::clear_owners& c) {
                if (st.clear_owners(c.group)) changed.insert(c.group);
              },
              [&](const store_cmd::delete_group& d) {
                if (d.topic.empty()) {
                  if (st.delete_group(d.group)) removed.insert(d.group);
                } else if (st.delete_group_topic(d.group, d.topic)) {
                  if (st.has_group(d.group)) changed.insert(d.group);
                  else removed.insert(d.group);
                }
              },
              [&](const store_cmd::broker_offsets& o) {
                resolved.clear();
                for (std::size_t p = 0; p < o.offsets.size(); ++p) {
                  if (o.offsets[p] < 0) continue;
                  st.set_broker_offset(broker_offset_update{o.topic, partition_id{static_cast<std::int32_t>(p)},
                                                            o.partition_count, offset_t{o.offsets[p]}},
                                       timestamp_ms{o.observed_at}, &resolved);
                }
                for (auto& g : resolved) changed.insert(std::move(g));
                // Current lags moved too; the evaluator's periodic pass picks that up, so a broker
                // round does not mark every group of the topic dirty.
              },
              [&](const store_cmd::delete_topic& d) {
                for (auto& g : st.delete_topic(d.topic)) {
                  if (st.has_group(g)) changed.insert(g);
                  else removed.insert(g);
                }
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
    while (!stopping) {
      auto [ec, b] = co_await mailbox.async_receive(use_nothrow);
      if (ec) co_return;
      --queued;
      apply(b);
    }
  }

  task<void> expire_loop() {
    while (!stopping) {
      expiry.expires_after(std::chrono::seconds(60));
      auto [ec] = co_await expiry.async_wait(use_nothrow);
      if (ec || stopping) co_return;
      const timestamp_ms now{wall_now_ms()};
      for (auto& [name, st] : states) {
        auto gone = st.expire(now);
        stats.groups_expired += gone.size();
        std::set<std::string> removed(gone.begin(), gone.end());
        notify(name, removed, true);
      }
    }
  }
};

offset_store::offset_store(asio::any_io_executor ex, const storage_options& options,
                           const std::vector<std::string>& clusters)
    : impl_(std::make_unique<impl>(ex, options, clusters)) {}
offset_store::~offset_store() = default;

void offset_store::set_listener(change_listener listener) { impl_->listener = std::move(listener); }

void offset_store::start() {
  auto on_exit = [](std::exception_ptr e) {
    if (e) log_error("storage", "store loop ended with an exception");
  };
  asio::co_spawn(impl_->ex, impl_->receive_loop(), on_exit);
  asio::co_spawn(impl_->ex, impl_->expire_loop(), on_exit);
}

void offset_store::stop() {
  impl_->stopping = true;
  impl_->mailbox.close();
  impl_->expiry.cancel();
}

task<void> offset_store::send(store_cmd::batch batch) {
  if (impl_->stopping) co_return;
  ++impl_->queued;
  auto [ec] = co_await impl_->mailbox.async_send(boost::system::error_code{}, std::move(batch), use_nothrow);
  if (ec) --impl_->queued;
}

void offset_store::apply(const store_cmd::batch& batch) { impl_->apply(batch); }

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
std::size_t offset_store::queued_batches() const { return impl_->queued; }

}  // namespace warren
