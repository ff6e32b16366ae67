#include "service/storage/commit_block.hpp"

#include <algorithm>
#include <functional>

namespace warren {

void commit_block_builder::reset() {
  std::fill(slots_.begin(), slots_.end(), 0U);
  hashes_.clear();
  last_group_ = no_id;
}

void commit_block_builder::grow(const store_cmd::commit_block& block) {
  slots_.assign(std::max<std::size_t>(64, slots_.size() * 2), 0U);
  const std::size_t mask = slots_.size() - 1;
  for (std::uint32_t id = 0; id < block.names.size(); ++id) {
    std::size_t i = hashes_[id] & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = id + 1;
  }
}

std::uint32_t commit_block_builder::intern(store_cmd::commit_block& block, std::string_view name) {
  // At most half full, so a probe always ends at an empty slot.
  if (2 * (block.names.size() + 1) > slots_.size()) grow(block);
  const std::uint64_t h = std::hash<std::string_view>{}(name);
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = h & mask;
  for (; slots_[i] != 0; i = (i + 1) & mask) {
    const std::uint32_t id = slots_[i] - 1;
    if (hashes_[id] == h && block.name(id) == name) return id;
  }
  const auto id = static_cast<std::uint32_t>(block.names.size());
  block.names.emplace_back(static_cast<std::uint32_t>(block.text.size()), static_cast<std::uint32_t>(name.size()));
  block.text.append(name);
  hashes_.push_back(h);
  slots_[i] = id + 1;
  return id;
}

void commit_block_builder::add(store_cmd::commit_block& block, std::string_view group, std::string_view topic,
                               partition_id partition, offset_t offset, std::int64_t order, timestamp_ms timestamp) {
  if (last_group_ == no_id || block.name(last_group_) != group) last_group_ = intern(block, group);
  block.commits.push_back(store_cmd::commit_block::entry{.group = last_group_,
                                                         .topic = intern(block, topic),
                                                         .partition = partition,
                                                         .offset = offset,
                                                         .order = order,
                                                         .timestamp = timestamp});
}

}  // namespace warren
