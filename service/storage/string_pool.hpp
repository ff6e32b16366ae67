#pragma once
// Reference-counted string interning for the storage model. PURE, not thread-safe (owned by
// cluster_state, used from the io thread only).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace warren::detail {

/// Reference-counted string interning (owners and client ids are shared by many partitions). Id 0 = "".
/// Every acquire() is paired with one release() of the id it returned; a string's storage is freed,
/// and its id reused, when its last reference goes.
class string_pool {
 public:
  std::uint32_t acquire(std::string_view s);
  void release(std::uint32_t id);
  std::string_view get(std::uint32_t id) const { return id == 0 ? std::string_view{} : *entries_[id].text; }
  std::size_t size() const { return index_.size(); }

 private:
  struct entry {
    const std::string* text = nullptr;
    std::uint32_t refs = 0;
  };
  struct hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::uint32_t, hash, std::equal_to<>> index_;
  std::vector<entry> entries_{entry{}};
  std::vector<std::uint32_t> free_;
};

}  // namespace warren::detail
