#pragma once
// Strong types for identities and quantities, so long parameter lists cannot be swapped.
#include <compare>
#include <cstdint>
#include <functional>
#include <string>

namespace warren {

template <class T, class Tag>
struct strong {
  T value{};
  strong() = default;
  explicit strong(T v) : value(std::move(v)) {}
  friend auto operator<=>(const strong&, const strong&) = default;
  friend bool operator==(const strong&, const strong&) = default;
};

using cluster_name = strong<std::string, struct cluster_tag>;
using group_name = strong<std::string, struct group_tag>;
using topic_name = strong<std::string, struct topic_tag>;
using partition_id = strong<std::int32_t, struct partition_tag>;
using offset_t = strong<std::int64_t, struct offset_tag>;
/// Milliseconds since the Unix epoch.
using timestamp_ms = strong<std::int64_t, struct timestamp_tag>;

}  // namespace warren

template <class T, class Tag>
struct std::hash<warren::strong<T, Tag>> {
  std::size_t operator()(const warren::strong<T, Tag>& s) const noexcept { return std::hash<T>{}(s.value); }
};
