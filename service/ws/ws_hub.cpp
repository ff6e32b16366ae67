#include "service/ws/ws_hub.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>

#include "service/core/actor.hpp"
#include "service/core/feed.hpp"
#include "service/core/log.hpp"
#include "service/ws/ws_session.hpp"

namespace warren::ws {

// Subscriptions with the same (cluster, group, pattern) share one slot, so a change is matched
// once per distinct filter (a pattern search is the expensive part) rather than once per client.
struct filter_slot {
  subscription_filter filter;
  std::size_t refs = 0;       // subscriptions using the slot
  std::size_t full_refs = 0;  // of which at detail full
  std::vector<std::uint8_t> turn;  // whether each change of the current turn matches
  std::list<filter_slot>::iterator self;
};

namespace {
// (cluster, group) <= (after_cluster, after_group), the order of kept_keys_.
bool at_or_before(std::string_view cluster, std::string_view group, const std::string& after_cluster,
                  const std::string& after_group) {
  if (int c = cluster.compare(after_cluster); c != 0) return c < 0;
  return group.compare(after_group) <= 0;
}
// A client with this many messages queued gets no further snapshot slice until the writer has
// sent some: bounds the snapshot memory queued per client to a few parts.
constexpr std::size_t snapshot_parts_ahead = 4;
// Nor while half of its byte bound is queued: a snapshot never overflows the outbox on its own.
bool snapshot_room(const ws_outbox& o) {
  return o.size() < std::min(snapshot_parts_ahead, o.capacity()) && o.bytes() < o.byte_capacity() / 2;
}
}  // namespace

bool ws_client::sub::wants(std::size_t change, std::string_view cluster, std::string_view group) const {
  if (change >= filter->turn.size() ? !filter->filter.matches(cluster, group) : !filter->turn[change]) return false;
  if (!pending) return true;
  // Not scanned yet: the part that scans the group carries its state as of then.
  return scanned_any && at_or_before(cluster, group, after_cluster, after_group);
}

ws_client::ws_client(ws_hub& hub, std::function<void()> wake, bool batch_frames)
    : outbox(hub.options().limits.outbox, hub.options().limits.outbox_bytes), batch(batch_frames), hub_(&hub),
      wake_(std::move(wake)) {
  hub.attach(*this);
}

ws_client::~ws_client() {
  if (hub_) hub_->detach(*this);
}

ws_hub::ws_hub(asio::any_io_executor ex, supervisor& sup, group_evaluator& evaluator,
               feed<cluster_event>& cluster_changes, std::vector<std::string> clusters, hub_options options,
               freshness_query freshness)
    : ex_(ex), evaluator_(evaluator), clusters_(std::move(clusters)), options_(std::move(options)),
      freshness_(std::move(freshness)), snapshot_wake_(ex) {
  self_ = std::make_unique<actor>(ex, sup, "ws_hub", "", clock::system());
  // Groups kept before the hub subscribed (later ones arrive as changes).
  evaluator_.for_each("", [this](const group_status& g) { kept_keys_.insert(change_key(g.cluster, g.group)); });
  status_sub_ = std::make_unique<subscriber<status_event>>(evaluator.changes(), ex, [this](status_event& e) {
    // A drain slice is one turn (begin_changes), fanned out when the slice ends.
    if (!slice_open_) {
      slice_open_ = true;
      begin_changes();
    }
    // The queue coalesces per group: deliver the status as it is now. A group that came and went
    // before this turn was never announced, so nothing is sent for it.
    const auto current = evaluator_.status(e.cluster, e.group);
    if (!current && fleet_ && fleet_->has_remote(e.cluster, e.group)) {
      // Issue 14: no longer evaluated here (its offsets partition went to another instance), but
      // the fleet has it: not a removal, the owner's status follows.
      kept_keys_.insert(change_key(e.cluster, e.group));
      send_remote(e.cluster, e.group, e.previous);
      return;
    }
    if (current) kept_keys_.insert(change_key(e.cluster, e.group));
    else kept_keys_.erase(change_key(e.cluster, e.group));
    if (!current && e.previous == status_code::notfound) return;
    on_change(group_status_changed{e.cluster, e.group, current ? &*current : nullptr, e.previous});
  });
  status_sub_->after_slice([this] {
    if (slice_open_) {
      slice_open_ = false;
      end_changes();
    }
  });
  cluster_sub_ = std::make_unique<subscriber<cluster_event>>(cluster_changes, ex,
                                                             [this](cluster_event& e) { on_cluster(e.cluster); });
  self_->add_loop("status changes", [this] { return status_sub_->drain(*self_); });
  self_->add_loop("cluster changes", [this] { return cluster_sub_->drain(*self_); });
  self_->add_loop("snapshots", [this] { return snapshot_loop(); });
  self_->on_interrupt([this] {
    status_sub_->interrupt();
    cluster_sub_->interrupt();
    snapshot_wake_.cancel();
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
  auto hello = hello_message(clusters_, options_.limits, options_.server_version,
                             c.batch ? protocol_version_v2 : protocol_version);
  c.outbox.push_control(hello.type, std::move(hello.body));
}

void ws_hub::detach(ws_client& c) {
  forget_snapshots(c);
  for (auto& s : c.subs_) release(s.filter, s.detail);
  c.subs_.clear();
  clients_.erase(c.reg_);
  c.hub_ = nullptr;
}

void ws_hub::release(filter_slot* f, detail_level d) {
  if (d == detail_level::full) --f->full_refs;
  if (--f->refs == 0) filters_.erase(f->self);
}

void ws_hub::on_change(const group_status_changed& ev) {
  if (stopping_ || clients_.empty()) return;
  if (!ev.current) {
    fan_out(ev.cluster, ev.group, [&](detail_level) {
      return change_payload{{}, removed_type, removed_body(ev.cluster, ev.group, ev.previous)};
    }, true);
    return;
  }
  fan_out(ev.cluster, ev.group, [&](detail_level d) {
    if (!fleet_) return change_payload{{}, status_type, status_body(*ev.current, ev.previous, d)};
    return change_payload{{}, status_type,
                          status_body(ev.cluster, ev.group, fleet_->own(ev.cluster, status_object(*ev.current, d)),
                                      ev.previous, d)};
  }, false);
}

void ws_hub::set_fleet(const fleet_view* fleet) {
  fleet_ = fleet;
  // Groups the status topics held before: later ones arrive through on_remote.
  if (fleet_) fleet_->for_each_remote([this](std::string_view c, std::string_view g) { kept_keys_.insert(change_key(c, g)); });
}

void ws_hub::on_remote(const std::string& cluster, const std::string& group, status_code previous) {
  if (!fleet_ || evaluator_.has_status(cluster, group)) return;  // evaluated here: the evaluator's changes tell
  if (fleet_->has_remote(cluster, group)) {
    kept_keys_.insert(change_key(cluster, group));
    send_remote(cluster, group, previous);
    return;
  }
  kept_keys_.erase(change_key(cluster, group));  // a tombstone: the owner removed the group
  if (stopping_ || clients_.empty() || previous == status_code::notfound) return;
  fan_out(cluster, group, [&](detail_level) {
    return change_payload{{}, removed_type, removed_body(cluster, group, previous)};
  }, true);
}

void ws_hub::send_remote(const std::string& cluster, const std::string& group, status_code previous) {
  if (stopping_ || clients_.empty()) return;
  fan_out(cluster, group, [&](detail_level d) {
    auto object = fleet_->remote_object(cluster, group, d);
    return change_payload{{}, status_type, status_body(cluster, group, object ? *object : "{}", previous, d)};
  }, false);
}

void ws_hub::begin_changes() { ++holding_; }

void ws_hub::end_changes() {
  if (holding_ > 0 && --holding_ == 0) flush_turn();
}

void ws_hub::fan_out(std::string_view cluster, std::string_view group,
                     const std::function<change_payload(detail_level)>& make, bool same_for_all_details) {
  if (stopping_ || clients_.empty()) return;
  // Matched once per distinct filter; the payload built at most once per detail level a matching
  // subscription asks for, shared by every client that gets this change.
  bool need_full = false, need_summary = false;
  for (auto& f : filters_) {
    const bool m = f.filter.matches(cluster, group);
    f.turn.resize(turn_.size(), 0);
    f.turn.push_back(m ? 1 : 0);
    if (m) {
      need_full = need_full || f.full_refs > 0;
      need_summary = need_summary || f.refs > f.full_refs;
    }
  }
  if (!need_full && !need_summary) {
    for (auto& f : filters_) f.turn.pop_back();
  } else {
    auto build = [&](detail_level d) {
      auto made = std::make_shared<change_payload>(make(d));
      made->key = change_key(cluster, group);
      return std::shared_ptr<const change_payload>(std::move(made));
    };
    turn_change t;
    if (same_for_all_details) {
      t.full = t.summary = build(detail_level::full);
    } else {
      if (need_full) t.full = build(detail_level::full);
      if (need_summary) t.summary = build(detail_level::summary);
    }
    turn_.push_back(std::move(t));
  }
  if (holding_ == 0) flush_turn();
}

void ws_hub::flush_turn() {
  if (turn_.empty()) return;
  std::vector<turn_change> turn;
  turn.swap(turn_);
  const std::size_t n = turn.size();
  // The turn's changes at one level, for clients that want all of them there: one outbox entry.
  std::shared_ptr<const change_batch> batches[2];
  auto batch_of = [&](bool full) -> const std::shared_ptr<const change_batch>& {
    auto& b = batches[full ? 1 : 0];
    if (!b) {
      auto made = std::make_shared<change_batch>();
      made->changes.reserve(n);
      for (const auto& t : turn) made->add(full ? t.full : t.summary);
      b = std::move(made);
    }
    return b;
  };
  // What client c wants of change i: nothing, or the level.
  enum class want : std::uint8_t { none, summary, full };
  auto wants = [&](const ws_client& c, std::size_t i) {
    const auto& key = (turn[i].full ? turn[i].full : turn[i].summary)->key;
    const auto cluster = key_cluster(key), group = key_group(key);
    want w = want::none;
    for (const auto& s : c.subs_)
      if (s.wants(i, cluster, group)) {
        if (s.detail == detail_level::full) return want::full;
        w = want::summary;
      }
    return w;
  };
  // First pass, per client: one batch entry for a client that wants the whole turn at one level
  // into an empty outbox (the common case of clients that keep up); the others are queued change
  // by change in the second pass.
  std::vector<ws_client*> one_by_one;
  std::vector<ws_client*> woken;
  for (auto* c : clients_) {
    if (c->closing || c->subs_.empty()) continue;
    if (n == 1 || !c->outbox.empty()) {
      one_by_one.push_back(c);
      continue;
    }
    std::size_t wanted = 0, fulls = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const want w = wants(*c, i);
      wanted += w != want::none ? 1 : 0;
      fulls += w == want::full ? 1 : 0;
    }
    if (wanted == 0) continue;
    if (wanted < n || (fulls != 0 && fulls != n)) {
      one_by_one.push_back(c);
      continue;
    }
    auto r = c->outbox.push_batch(batch_of(fulls == n));
    stats_.messages_coalesced += r.coalesced_count;
    if (r.result == push_result::full) too_slow(*c);
    else if (r.result == push_result::queued) woken.push_back(c);
  }
  // Second pass, change by change: a change meets the same queued payload of its group in every
  // lagging client's outbox, which stays in cache across clients (client by client it did not:
  // three times the coalescing cost).
  std::vector<std::uint8_t> queued(one_by_one.size(), 0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < one_by_one.size(); ++k) {
      auto* c = one_by_one[k];
      if (c->closing) continue;
      const want w = wants(*c, i);
      if (w == want::none) continue;
      switch (c->outbox.push_change(w == want::full ? turn[i].full : turn[i].summary)) {
        case push_result::queued: queued[k] = 1; break;
        case push_result::coalesced: ++stats_.messages_coalesced; break;
        case push_result::full: too_slow(*c); break;
      }
    }
  for (std::size_t k = 0; k < one_by_one.size(); ++k)
    if (queued[k] && !one_by_one[k]->closing) woken.push_back(one_by_one[k]);
  for (auto* c : woken) c->wake();
  for (auto& f : filters_) f.turn.clear();
}

void ws_hub::too_slow(ws_client& c) {
  if (c.closing) return;
  forget_snapshots(c);
  ++stats_.slow_closes;
  const std::string bound = c.outbox.bytes_full() ? std::to_string(c.outbox.byte_capacity()) + " bytes"
                                                  : std::to_string(c.outbox.capacity()) + " messages";
  stats_.messages_dropped += c.outbox.clear();
  log_warn("ws", "closing a slow stream client: outbox of ", bound, " full (1013)");
  c.outbox.push_final("error", error_message({error_code::slow_client,
                                              "the outbox of " + bound + " overflowed; reconnect and subscribe again",
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
    slot = filters_.insert(filters_.end(), filter_slot{std::move(filter), 0, 0, {}, {}});
    slot->self = slot;
  }
  ++slot->refs;
  if (r.detail == detail_level::full) ++slot->full_refs;
  ws_client::sub* s = nullptr;
  if (existing != c.subs_.end()) {  // same id: the new filter replaces the old one, its snapshot starts over
    release(existing->filter, existing->detail);
    existing->filter = &*slot;
    existing->detail = r.detail;
    s = &*existing;
  } else {
    s = &c.subs_.emplace_back(ws_client::sub{r.id, r.detail, &*slot});
  }
  s->pending = true;
  s->scanned_any = false;
  s->after_cluster.clear();
  s->after_group.clear();
  s->part = 0;
  want_snapshot(c);
  // The first slice runs now: a snapshot that fits in it is queued in this same io-thread step.
  if (!snapshot_slice(c)) forget_snapshots(c);
}

void ws_hub::want_snapshot(ws_client& c) {
  if (!c.snapshotting_) {
    c.snap_reg_ = snapshotting_.insert(snapshotting_.end(), &c);
    c.snapshotting_ = true;
  }
  if (snapshot_waiting_) snapshot_wake_.cancel();
}

void ws_hub::forget_snapshots(ws_client& c) {
  if (!c.snapshotting_) return;
  snapshotting_.erase(c.snap_reg_);
  c.snapshotting_ = false;
}

void ws_hub::note_sent(std::size_t messages) {
  stats_.messages_sent += messages;
  ++stats_.frames_sent;
  if (snapshot_waiting_ && !snapshotting_.empty()) snapshot_wake_.cancel();
}

bool ws_hub::snapshot_slice(ws_client& c) {
  if (c.closing) return false;
  auto it = std::find_if(c.subs_.begin(), c.subs_.end(), [](const auto& x) { return x.pending; });
  if (it == c.subs_.end()) return false;
  ws_client::sub& s = *it;
  const subscription_filter& f = s.filter->filter;
  const auto began = std::chrono::steady_clock::now();
  std::string part;
  bool spent = false;
  std::size_t visited = 0;
  auto queue_part = [&](bool last) {
    ++stats_.snapshot_parts;
    // A barrier: a change queued after this part never coalesces into an entry ahead of it.
    queue(c, snapshot_message(s.id, f, s.detail, s.part++, last, part), true);
    part.clear();
  };
  // Resume after the cursor in the hub's ordered index (cluster '\0' group sorts as the pair).
  auto k = s.scanned_any ? kept_keys_.upper_bound(change_key(s.after_cluster, s.after_group))
                         : kept_keys_.lower_bound(f.cluster().empty() ? std::string() : change_key(f.cluster(), ""));
  std::string_view last_key;
  for (; k != kept_keys_.end() && !c.closing; ++k) {
    const auto cluster = key_cluster(*k);
    if (!f.cluster().empty() && cluster != f.cluster()) break;  // past the filter's cluster
    if (visited != 0 && visited % 16 == 0 && std::chrono::steady_clock::now() - began >= options_.slice_budget) {
      spent = true;
      break;
    }
    ++visited;
    last_key = *k;
    const auto group = key_group(*k);
    if (!f.matches(cluster, group)) continue;
    // Removed from the evaluator, its removal not yet drained here: nothing to show.
    const auto g = evaluator_.status(cluster, group);
    if (g && !fleet_) {
      append_snapshot_status(part, *g, s.detail);
    } else if (g) {
      append_snapshot_object(part, fleet_->own(cluster, status_object(*g, s.detail)));
    } else if (auto remote = fleet_ ? fleet_->remote_object(cluster, group, s.detail) : std::nullopt) {
      append_snapshot_object(part, *remote);  // issue 14: another instance evaluates it
    } else {
      continue;
    }
    if (part.size() >= options_.snapshot_part_bytes) {
      queue_part(false);
      // Half the byte bound queued: the rest waits for the writer (the snapshot loop resumes after
      // it sent some), so a snapshot alone never overflows the outbox.
      if (c.outbox.bytes() >= c.outbox.byte_capacity() / 2) {
        spent = true;
        break;
      }
    }
  }
  if (!c.closing) {
    if (!last_key.empty()) {
      s.after_cluster = key_cluster(last_key);
      s.after_group = key_group(last_key);
      s.scanned_any = true;
    }
    // Everything scanned is in a queued part before any change can be matched against it.
    if (!spent) {
      queue_part(true);
      finish_snapshot(c, s);
    } else if (!part.empty()) {
      queue_part(false);
    }
  }
  ++stats_.snapshot_slices;
  stats_.longest_snapshot_slice_seconds =
      std::max(stats_.longest_snapshot_slice_seconds,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
  return !c.closing && std::any_of(c.subs_.begin(), c.subs_.end(), [](const auto& x) { return x.pending; });
}

void ws_hub::finish_snapshot(ws_client& c, ws_client::sub& s) {
  s.pending = false;
  // Clusters this subscription covers that are stale right now: the client hears it at once.
  const auto& f = s.filter->filter;
  for (const auto& [cluster, state] : sent_freshness_)
    if ((state.stale || !state.reachable) && (f.cluster().empty() || f.cluster() == cluster))
      queue(c, cluster_state_message(cluster, state.reachable, state));
}

task<void> ws_hub::snapshot_loop() {
  while (!self_->stopping()) {
    self_->checkpoint();
    ws_client* next = nullptr;
    for (auto it = snapshotting_.begin(); it != snapshotting_.end();) {
      ws_client* c = *it;
      if (c->closing) {
        c->snapshotting_ = false;
        it = snapshotting_.erase(it);
        continue;
      }
      if (snapshot_room(c->outbox)) {
        next = c;
        break;
      }
      ++it;  // paused until its writer has sent some (note_sent wakes this loop)
    }
    if (!next) {
      snapshot_waiting_ = true;
      snapshot_wake_.expires_at(asio::steady_timer::time_point::max());
      co_await snapshot_wake_.async_wait(use_nothrow);
      snapshot_waiting_ = false;
      continue;
    }
    if (snapshot_slice(*next)) snapshotting_.splice(snapshotting_.end(), snapshotting_, next->snap_reg_);
    else forget_snapshots(*next);
    co_await asio::post(ex_, asio::use_awaitable);
  }
}

void ws_hub::unsubscribe(ws_client& c, const std::string& id) {
  auto it = std::find_if(c.subs_.begin(), c.subs_.end(), [&](const auto& s) { return s.id == id; });
  if (it == c.subs_.end()) {
    ++stats_.errors_sent;
    queue(c, error_message({error_code::unknown_subscription, "no subscription with id '" + id + "'", id}));
    return;
  }
  release(it->filter, it->detail);
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
