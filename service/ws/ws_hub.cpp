#include "service/ws/ws_hub.hpp"

#include <algorithm>

#include "service/core/actor.hpp"
#include "service/core/feed.hpp"
#include "service/core/log.hpp"
#include "service/ws/ws_session.hpp"

namespace warren::ws {

// Subscriptions with the same (cluster, group, pattern) share one slot, so a change is matched
// once per distinct filter (a regex search is the expensive part) rather than once per client.
struct filter_slot {
  subscription_filter filter;
  std::size_t refs = 0;
  std::uint64_t gen = 0;  // change generation `result` was computed for
  bool result = false;
  std::list<filter_slot>::iterator self;

  bool matches(std::uint64_t change, std::string_view cluster, std::string_view group) {
    if (gen != change) {
      gen = change;
      result = filter.matches(cluster, group);
    }
    return result;
  }
};

ws_client::ws_client(ws_hub& hub, std::function<void()> wake)
    : outbox(hub.options().limits.outbox), hub_(&hub), wake_(std::move(wake)) {
  hub.attach(*this);
}

ws_client::~ws_client() {
  if (hub_) hub_->detach(*this);
}

ws_hub::ws_hub(asio::any_io_executor ex, supervisor& sup, group_evaluator& evaluator,
               feed<cluster_event>& cluster_changes, std::vector<std::string> clusters, hub_options options,
               freshness_query freshness)
    : ex_(ex), evaluator_(evaluator), clusters_(std::move(clusters)), options_(std::move(options)),
      freshness_(std::move(freshness)) {
  self_ = std::make_unique<actor>(ex, sup, "ws_hub", "", clock::system());
  status_sub_ = std::make_unique<subscriber<status_event>>(evaluator.changes(), ex, [this](status_event& e) {
    // The queue coalesces per group: deliver the status as it is now. A group that came and went
    // before this turn was never announced, so nothing is sent for it.
    const auto* current = evaluator_.status(e.cluster, e.group);
    if (!current && e.previous == status_code::notfound) return;
    on_change(group_status_changed{e.cluster, e.group, current, e.previous});
  });
  cluster_sub_ = std::make_unique<subscriber<cluster_event>>(cluster_changes, ex,
                                                             [this](cluster_event& e) { on_cluster(e.cluster); });
  self_->add_loop("status changes", [this] { return status_sub_->drain(*self_); });
  self_->add_loop("cluster changes", [this] { return cluster_sub_->drain(*self_); });
  self_->on_interrupt([this] {
    status_sub_->interrupt();
    cluster_sub_->interrupt();
  });
}

ws_hub::~ws_hub() {
  // Sessions still alive (an io_context destroyed with suspended coroutines) must not call back.
  for (auto* c : clients_) {
    c->hub_ = nullptr;
    c->subs_.clear();
  }
}

void ws_hub::start() { self_->start(); }

task<void> ws_hub::stop() {
  if (!stopping_) {
    stopping_ = true;
    for (auto* c : clients_) {
      if (c->closing) continue;
      c->outbox.push_final("error", error_message({error_code::shutting_down, std::string(shutdown_reason), {}}).body);
      c->closing = true;
      c->close_code = close_going_away;
      c->close_reason = shutdown_reason;
      c->wake();
    }
  }
  co_await self_->stop();
}

void ws_hub::on_cluster(const std::string& cluster) {
  if (stopping_ || !freshness_) return;
  auto now = freshness_(cluster);
  auto it = sent_freshness_.find(cluster);
  if (it == sent_freshness_.end()) {
    // Nothing announced yet: a fresh cluster needs no message (fresh is what clients assume).
    if (!now.stale && now.reachable) {
      sent_freshness_.emplace(cluster, now);
      return;
    }
    it = sent_freshness_.emplace(cluster, cluster_freshness{}).first;
  }
  if (it->second.stale == now.stale && it->second.reachable == now.reachable && it->second.reason == now.reason)
    return;
  it->second = now;
  auto msg = cluster_state_message(cluster, now.reachable, now);
  for (auto* c : clients_) {
    if (c->closing) continue;
    bool covers = std::any_of(c->subs_.begin(), c->subs_.end(), [&](const auto& sub) {
      return sub.filter->filter.cluster().empty() || sub.filter->filter.cluster() == cluster;
    });
    if (covers) queue(*c, msg);
  }
}

bool ws_hub::handle_upgrade(http::upgrade_request& up) {
  if (up.path != stream_path || stopping_) return false;
  start_session(*this, std::move(up.state));
  return true;
}

void ws_hub::attach(ws_client& c) {
  c.reg_ = clients_.insert(clients_.end(), &c);
  ++stats_.connections_total;
  auto hello = hello_message(clusters_, options_.limits, options_.server_version);
  c.outbox.push_control(hello.type, std::move(hello.body));
}

void ws_hub::detach(ws_client& c) {
  for (auto& s : c.subs_) release(s.filter);
  c.subs_.clear();
  clients_.erase(c.reg_);
  c.hub_ = nullptr;
}

void ws_hub::release(filter_slot* f) {
  if (--f->refs == 0) filters_.erase(f->self);
}

void ws_hub::on_change(const group_status_changed& ev) {
  if (stopping_ || clients_.empty()) return;
  ++change_gen_;
  // Built at most once per detail level, shared by every client that gets this change.
  std::shared_ptr<const change_payload> full, summary;
  auto payload = [&](detail_level d) -> std::shared_ptr<const change_payload> {
    auto& p = (ev.current == nullptr || d == detail_level::full) ? full : summary;
    if (!p) {
      auto made = std::make_shared<change_payload>();
      made->key = change_key(ev.cluster, ev.group);
      if (ev.current) {
        made->type = status_type;
        made->body = status_body(*ev.current, ev.previous, d);
      } else {
        made->type = removed_type;
        made->body = removed_body(ev.cluster, ev.group, ev.previous);
      }
      p = std::move(made);
    }
    return p;
  };
  for (auto* c : clients_) {
    if (c->closing || c->subs_.empty()) continue;
    bool any = false, want_full = false;
    for (const auto& s : c->subs_)
      if (s.filter->matches(change_gen_, ev.cluster, ev.group)) {
        any = true;
        want_full = want_full || s.detail == detail_level::full;
      }
    if (!any) continue;
    switch (c->outbox.push_change(payload(want_full ? detail_level::full : detail_level::summary))) {
      case push_result::queued: c->wake(); break;
      case push_result::coalesced: ++stats_.messages_coalesced; break;
      case push_result::full: too_slow(*c); break;
    }
  }
}

void ws_hub::too_slow(ws_client& c) {
  if (c.closing) return;
  ++stats_.slow_closes;
  stats_.messages_dropped += c.outbox.clear();
  log_warn("ws", "closing a slow stream client: ", c.outbox.capacity(), " messages queued (1013)");
  c.outbox.push_final("error", error_message({error_code::slow_client,
                                              "the outbox of " + std::to_string(c.outbox.capacity()) +
                                                  " messages overflowed; reconnect and subscribe again",
                                              {}})
                                   .body);
  c.closing = true;
  c.close_code = close_try_again_later;
  c.close_reason = slow_client_reason;
  c.wake();
}

void ws_hub::queue(ws_client& c, server_message m, bool barrier) {
  if (c.closing) return;
  if (c.outbox.push_control(m.type, std::move(m.body), barrier) == push_result::full) too_slow(c);
  else c.wake();
}

void ws_hub::on_rejected(ws_client& c, error_code code, std::string message) {
  ++stats_.errors_sent;
  queue(c, error_message({code, std::move(message), {}}));
}

void ws_hub::on_text(ws_client& c, std::string_view text) {
  if (c.closing) return;
  auto msg = parse_client_message(text);
  std::visit(
      [&](auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, protocol_error>) {
          ++stats_.errors_sent;
          queue(c, error_message(m));
        } else if constexpr (std::is_same_v<T, subscribe_request>) {
          subscribe(c, std::move(m));
        } else if constexpr (std::is_same_v<T, unsubscribe_request>) {
          unsubscribe(c, m.id);
        } else {
          queue(c, pong_message(m.id));
        }
      },
      msg);
}

void ws_hub::subscribe(ws_client& c, subscribe_request r) {
  auto made = subscription_filter::make(r, clusters_);
  if (auto* e = std::get_if<protocol_error>(&made)) {
    ++stats_.errors_sent;
    queue(c, error_message(*e));
    return;
  }
  auto& filter = std::get<subscription_filter>(made);
  if (r.id.empty()) r.id = "s" + std::to_string(++next_sub_);
  auto existing = std::find_if(c.subs_.begin(), c.subs_.end(), [&](const auto& s) { return s.id == r.id; });
  if (existing == c.subs_.end() && c.subs_.size() >= options_.limits.max_subscriptions) {
    ++stats_.errors_sent;
    queue(c, error_message({error_code::too_many_subscriptions,
                            "at most " + std::to_string(options_.limits.max_subscriptions) +
                                " subscriptions per connection",
                            r.id}));
    return;
  }
  auto slot = std::find_if(filters_.begin(), filters_.end(), [&](const auto& f) { return f.filter.same_as(filter); });
  if (slot == filters_.end()) {
    slot = filters_.insert(filters_.end(), filter_slot{std::move(filter), 0, 0, false, {}});
    slot->self = slot;
  }
  ++slot->refs;
  if (existing != c.subs_.end()) {  // same id: the new filter replaces the old one
    release(existing->filter);
    existing->filter = &*slot;
    existing->detail = r.detail;
  } else {
    c.subs_.push_back({r.id, r.detail, &*slot});
  }
  // The snapshot is queued in the same io-thread step that adds the subscription, so every later
  // change is queued after it; the barrier keeps those changes from coalescing into entries ahead
  // of the snapshot.
  std::vector<const group_status*> matched;
  evaluator_.for_each(slot->filter.cluster(), [&](const group_status& g) {
    if (slot->filter.matches(g.cluster, g.group)) matched.push_back(&g);
  });
  queue(c, snapshot_message(r.id, slot->filter, r.detail, matched), true);
  // Clusters this subscription covers that are stale right now: the client hears it at once.
  for (const auto& [cluster, state] : sent_freshness_)
    if ((state.stale || !state.reachable) && (slot->filter.cluster().empty() || slot->filter.cluster() == cluster))
      queue(c, cluster_state_message(cluster, state.reachable, state));
}

void ws_hub::unsubscribe(ws_client& c, const std::string& id) {
  auto it = std::find_if(c.subs_.begin(), c.subs_.end(), [&](const auto& s) { return s.id == id; });
  if (it == c.subs_.end()) {
    ++stats_.errors_sent;
    queue(c, error_message({error_code::unknown_subscription, "no subscription with id '" + id + "'", id}));
    return;
  }
  release(it->filter);
  c.subs_.erase(it);
  // Nothing for this subscription alone arrives after the acknowledgement.
  c.outbox.remove_changes_if([&](std::string_view key) {
    auto cluster = key_cluster(key);
    auto group = key_group(key);
    return std::none_of(c.subs_.begin(), c.subs_.end(),
                        [&](const auto& s) { return s.filter->filter.matches(cluster, group); });
  });
  queue(c, unsubscribed_message(id));
}

}  // namespace warren::ws
