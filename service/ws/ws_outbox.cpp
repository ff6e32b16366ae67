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

bool ws_outbox::room_for(std::size_t more) {
  bytes_full_ = false;
  if (entries_.empty()) return true;
  if (entries_.size() >= capacity_) return false;
  if (bytes_ + more > byte_capacity_) {
    bytes_full_ = true;
    return false;
  }
  return true;
}

push_result ws_outbox::push_change(std::shared_ptr<const change_payload> change) {
  if (auto it = index_.find(change->key); it != index_.end() && it->second >= barrier_) {
    auto& e = entries_[static_cast<std::size_t>(it->second - base_)];
    const std::size_t old_cost = e.cost();
    const std::size_t new_cost = change->body.size() + outbox_entry::head_bytes;
    bytes_full_ = false;
    if (new_cost > old_cost && entries_.size() > 1 && bytes_ - old_cost + new_cost > byte_capacity_) {
      bytes_full_ = true;
      return push_result::full;
    }
    bytes_ = bytes_ - old_cost + new_cost;
    // The map's key views the old payload's string: re-key it onto the new payload before the
    // old one can be released.
    auto node = index_.extract(it);
    e.type = change->type;
    e.change = std::move(change);
    node.key() = e.change->key;
    index_.insert(std::move(node));
    return push_result::coalesced;
  }
  if (!room_for(change->body.size() + outbox_entry::head_bytes)) return push_result::full;
  auto abs = base_ + entries_.size();
  auto& e = entries_.emplace_back(outbox_entry{change->type, std::move(change), {}});
  bytes_ += e.cost();
  index_[e.change->key] = abs;
  return push_result::queued;
}

push_result ws_outbox::push_control(std::string_view type, std::string body, bool barrier) {
  if (!room_for(body.size() + outbox_entry::head_bytes)) return push_result::full;
  entries_.push_back(outbox_entry{type, nullptr, std::move(body)});
  bytes_ += entries_.back().cost();
  if (barrier) {
    barrier_ = base_ + entries_.size();
    index_.clear();
  }
  return push_result::queued;
}

void ws_outbox::push_final(std::string_view type, std::string body) {
  entries_.push_back(outbox_entry{type, nullptr, std::move(body)});
  bytes_ += entries_.back().cost();
  barrier_ = base_ + entries_.size();
  index_.clear();
}

void ws_outbox::pop_front() {
  auto& e = entries_.front();
  if (e.change)
    if (auto it = index_.find(e.change->key); it != index_.end() && it->second == base_) index_.erase(it);
  bytes_ -= e.cost();
  entries_.pop_front();
  ++base_;
}

outbox_entry ws_outbox::take_front() {
  // Unindex before moving: the index's key views the entry's payload.
  auto& e = entries_.front();
  if (e.change)
    if (auto it = index_.find(e.change->key); it != index_.end() && it->second == base_) index_.erase(it);
  bytes_ -= e.cost();
  outbox_entry out = std::move(e);
  entries_.pop_front();
  ++base_;
  return out;
}

std::size_t ws_outbox::take(std::vector<outbox_entry>& out, std::size_t max_messages, std::size_t max_bytes) {
  std::size_t n = 0, bytes = 0;
  while (!entries_.empty() && n < max_messages) {
    const std::size_t cost = entries_.front().cost();
    if (n != 0 && bytes + cost > max_bytes) break;
    bytes += cost;
    out.push_back(take_front());
    ++n;
  }
  return n;
}

std::size_t ws_outbox::clear() {
  auto n = entries_.size();
  bytes_ = 0;
  base_ += n;
  barrier_ = base_;
  entries_.clear();
  index_.clear();
  return n;
}

std::size_t ws_outbox::remove_changes_if(const std::function<bool(std::string_view key)>& drop) {
  std::deque<outbox_entry> kept;
  std::size_t removed = 0;
  std::uint64_t new_barrier = base_;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    auto& e = entries_[i];
    if (e.change && drop(e.change->key)) {
      ++removed;
      bytes_ -= e.cost();
      continue;
    }
    kept.push_back(std::move(e));
    if (base_ + i < barrier_) new_barrier = base_ + kept.size();
  }
  entries_ = std::move(kept);
  barrier_ = new_barrier;
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
