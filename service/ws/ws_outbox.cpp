#include "service/ws/ws_outbox.hpp"

namespace warren::ws {

std::string change_key(std::string_view cluster, std::string_view group) {
  std::string k;
  k.reserve(cluster.size() + 1 + group.size());
  k += cluster;
  k += '\0';
  k += group;
  return k;
}
std::string_view key_cluster(std::string_view key) { return key.substr(0, key.find('\0')); }
std::string_view key_group(std::string_view key) {
  auto z = key.find('\0');
  return z == std::string_view::npos ? std::string_view{} : key.substr(z + 1);
}

void change_batch::add(std::shared_ptr<const change_payload> c) {
  bytes += outbox_entry::cost_of(*c);
  changes.push_back(std::move(c));
}

bool ws_outbox::room_for(std::size_t more) {
  bytes_full_ = false;
  if (entries_.empty()) return true;
  if (messages_ >= capacity_) return false;
  if (bytes_ + more > byte_capacity_) {
    bytes_full_ = true;
    return false;
  }
  return true;
}

void ws_outbox::replace(index_map::iterator it, std::shared_ptr<const change_payload> change) {
  auto& e = entries_[static_cast<std::size_t>(it->second - base_)];
  bytes_ = bytes_ - e.cost() + outbox_entry::cost_of(*change);
  // The map's key views the old payload's string: re-key it onto the new payload before the old
  // one can be released.
  auto node = index_.extract(it);
  e.type = change->type;
  e.change = std::move(change);
  node.key() = e.change->key;
  index_.insert(std::move(node));
}

push_result ws_outbox::append_change(std::shared_ptr<const change_payload> change) {
  if (auto it = index_.find(change->key); it != index_.end() && it->second >= barrier_) {
    replace(it, std::move(change));
    return push_result::coalesced;
  }
  auto abs = base_ + entries_.size();
  auto& e = entries_.emplace_back(outbox_entry{change->type, std::move(change), {}});
  bytes_ += e.cost();
  ++messages_;
  index_[e.change->key] = abs;
  return push_result::queued;
}

push_result ws_outbox::push_change(std::shared_ptr<const change_payload> change) {
  if (unindexed_) index_batches();
  const std::size_t new_cost = outbox_entry::cost_of(*change);
  if (auto it = index_.find(change->key); it != index_.end() && it->second >= barrier_) {
    const std::size_t old_cost = entries_[static_cast<std::size_t>(it->second - base_)].cost();
    bytes_full_ = false;
    if (new_cost > old_cost && entries_.size() > 1 && bytes_ - old_cost + new_cost > byte_capacity_) {
      bytes_full_ = true;
      return push_result::full;
    }
    replace(it, std::move(change));
    return push_result::coalesced;
  }
  if (!room_for(new_cost)) return push_result::full;
  return append_change(std::move(change));
}

batch_push ws_outbox::push_batch(const std::shared_ptr<const change_batch>& batch) {
  batch_push out;
  const std::size_t n = batch->changes.size();
  if (n == 0) return out;
  if (entries_.empty() && (n == 1 || (n <= capacity_ && batch->bytes <= byte_capacity_))) {
    bytes_full_ = false;
    outbox_entry e;
    e.batch = batch;
    entries_.push_back(std::move(e));
    bytes_ += batch->bytes;
    messages_ += n;
    unindexed_ = true;
    out.result = push_result::queued;
    return out;
  }
  for (const auto& c : batch->changes) {
    switch (push_change(c)) {
      case push_result::queued: out.result = push_result::queued; break;
      case push_result::coalesced: ++out.coalesced_count; break;
      case push_result::full: out.result = push_result::full; return out;
    }
  }
  return out;
}

void ws_outbox::index_batches() {
  unindexed_ = false;
  std::deque<outbox_entry> old = std::move(entries_);
  entries_.clear();
  index_.clear();
  bytes_ = 0;
  messages_ = 0;
  std::uint64_t abs = base_;
  for (auto& e : old) {
    if (abs++ < barrier_ || (!e.batch && !e.change)) {  // before the barrier, or a control message: as it is
      bytes_ += e.cost();
      messages_ += e.messages();
      entries_.push_back(std::move(e));
    } else if (e.batch) {
      for (std::size_t i = e.pos; i < e.batch->changes.size(); ++i) append_change(e.batch->changes[i]);
    } else {
      append_change(std::move(e.change));
    }
  }
}

push_result ws_outbox::push_control(std::string_view type, std::string body, bool barrier) {
  if (!room_for(body.size() + outbox_entry::head_bytes)) return push_result::full;
  entries_.push_back(outbox_entry{type, nullptr, std::move(body)});
  bytes_ += entries_.back().cost();
  ++messages_;
  if (barrier) {
    barrier_ = base_ + entries_.size();
    index_.clear();
    unindexed_ = false;
  }
  return push_result::queued;
}

void ws_outbox::push_final(std::string_view type, std::string body) {
  entries_.push_back(outbox_entry{type, nullptr, std::move(body)});
  bytes_ += entries_.back().cost();
  ++messages_;
  barrier_ = base_ + entries_.size();
  index_.clear();
  unindexed_ = false;
}

void ws_outbox::drop_front_entry() {
  entries_.pop_front();
  ++base_;
  if (entries_.empty()) unindexed_ = false;
}

outbox_entry ws_outbox::take_front() {
  auto& e = entries_.front();
  if (e.batch) {
    const auto& c = e.batch->changes[e.pos++];
    outbox_entry out{c->type, c, {}};
    bytes_ -= out.cost();
    --messages_;
    if (e.pos == e.batch->changes.size()) drop_front_entry();
    return out;
  }
  // Unindex before moving: the index's key views the entry's payload.
  if (e.change)
    if (auto it = index_.find(e.change->key); it != index_.end() && it->second == base_) index_.erase(it);
  bytes_ -= e.cost();
  --messages_;
  outbox_entry out = std::move(e);
  drop_front_entry();
  return out;
}

std::size_t ws_outbox::take(std::vector<outbox_entry>& out, std::size_t max_messages, std::size_t max_bytes) {
  std::size_t n = 0, bytes = 0;
  while (!entries_.empty() && n < max_messages) {
    auto& e = entries_.front();
    const std::size_t cost = e.batch ? outbox_entry::cost_of(*e.batch->changes[e.pos]) : e.cost();
    if (n != 0 && bytes + cost > max_bytes) break;
    bytes += cost;
    out.push_back(take_front());
    ++n;
  }
  return n;
}

std::size_t ws_outbox::clear() {
  auto n = messages_;
  bytes_ = 0;
  messages_ = 0;
  base_ += entries_.size();
  barrier_ = base_;
  entries_.clear();
  index_.clear();
  unindexed_ = false;
  return n;
}

std::size_t ws_outbox::remove_changes_if(const std::function<bool(std::string_view key)>& drop) {
  if (unindexed_) index_batches();  // the batches left are before the barrier
  std::deque<outbox_entry> kept;
  std::size_t removed = 0;
  std::uint64_t new_barrier = base_;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    auto& e = entries_[i];
    if (e.batch) {
      for (std::size_t j = e.pos; j < e.batch->changes.size(); ++j) {
        const auto& c = e.batch->changes[j];
        if (drop(c->key)) ++removed;
        else kept.push_back(outbox_entry{c->type, c, {}});
      }
    } else if (e.change && drop(e.change->key)) {
      ++removed;
      continue;
    } else {
      kept.push_back(std::move(e));
    }
    if (base_ + i < barrier_) new_barrier = base_ + kept.size();
  }
  entries_ = std::move(kept);
  barrier_ = new_barrier;
  bytes_ = 0;
  messages_ = entries_.size();
  for (const auto& e : entries_) bytes_ += e.cost();
  reindex();
  return removed;
}

void ws_outbox::reindex() {
  index_.clear();
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    auto abs = base_ + i;
    if (abs >= barrier_ && entries_[i].change) index_[entries_[i].change->key] = abs;
  }
}

}  // namespace warren::ws
