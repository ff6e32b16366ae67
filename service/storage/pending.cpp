#include "service/storage/pending.hpp"

#include <iterator>

namespace warren::detail {

bool pending_buffer::hold(std::string_view topic, held_entry e) {
  auto it = by_topic_.find(topic);
  const std::size_t held_here = it == by_topic_.end() ? 0 : it->second.size();
  if (size_ >= total_ || held_here >= per_topic_) {
    // Full: make room by dropping this topic's oldest entry; a topic with nothing held cannot make
    // room (and a per-topic cap of 0 holds nothing: it used to let one entry per topic through).
    if (held_here == 0) {
      ++dropped_;
      return false;
    }
    it->second.pop_front();
    --size_;
    ++dropped_;
  }
  if (it == by_topic_.end()) it = by_topic_.emplace(std::string(topic), std::deque<held_entry>{}).first;
  it->second.push_back(std::move(e));
  ++size_;
  return true;
}

bool pending_buffer::erase_partition(std::string_view topic, std::string_view group, std::int32_t partition) {
  auto it = by_topic_.find(topic);
  if (it == by_topic_.end()) return false;
  const auto erased = std::erase_if(
      it->second, [&](const held_entry& e) { return e.group == group && e.partition == partition; });
  size_ -= erased;
  if (it->second.empty()) by_topic_.erase(it);
  return erased != 0;
}

std::size_t pending_buffer::erase_owners(std::string_view group) {
  std::size_t erased = 0;
  if (size_ == 0) return erased;
  for (auto it = by_topic_.begin(); it != by_topic_.end();) {
    const auto n = std::erase_if(it->second, [&](const held_entry& e) { return !e.is_commit && e.group == group; });
    size_ -= n;
    erased += n;
    it = it->second.empty() ? by_topic_.erase(it) : std::next(it);
  }
  return erased;
}

void pending_buffer::erase_topic(std::string_view topic) {
  auto it = by_topic_.find(topic);
  if (it == by_topic_.end()) return;
  size_ -= it->second.size();
  by_topic_.erase(it);
}

void pending_buffer::expire(std::int64_t held_before) {
  for (auto it = by_topic_.begin(); it != by_topic_.end();) {
    const auto erased = std::erase_if(it->second, [&](const held_entry& e) { return e.held_since < held_before; });
    size_ -= erased;
    dropped_ += erased;
    it = it->second.empty() ? by_topic_.erase(it) : std::next(it);
  }
}

}  // namespace warren::detail
