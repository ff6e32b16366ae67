#include "service/storage/string_pool.hpp"

namespace warren::detail {

std::uint32_t string_pool::acquire(std::string_view s) {
  if (s.empty()) return 0;
  if (auto it = index_.find(s); it != index_.end()) {
    ++entries_[it->second].refs;
    return it->second;
  }
  std::uint32_t id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = static_cast<std::uint32_t>(entries_.size());
    entries_.emplace_back();
  }
  auto [it, inserted] = index_.emplace(std::string(s), id);
  entries_[id] = entry{&it->first, 1};
  return id;
}

void string_pool::release(std::uint32_t id) {
  if (id == 0) return;
  auto& e = entries_[id];
  if (--e.refs == 0) {
    index_.erase(index_.find(std::string_view(*e.text)));
    e = entry{};
    free_.push_back(id);
  }
}

}  // namespace warren::detail
