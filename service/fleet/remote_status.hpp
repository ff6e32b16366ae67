#pragma once
// remote_status (issue 14 part 2): what the fleet's status topic says about each group, PURE
// state (no Kafka): the latest record per group wins (records of one group share a topic
// partition, so topic order is the owners' order); a tombstone removes the group. Memory per group:
// the owner's two rendered status objects (`/lag` and `/status`), the owner, the parsed status
// code and total lag (for lists) and the notifier state. io thread only (any single thread).
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "service/fleet/status_record.hpp"

namespace warren::fleet {

struct remote_entry {
  owner_ref owner;
  std::int64_t evaluated_at = 0;
  status_code status = status_code::notfound;
  std::uint64_t totallag = 0;
  std::uint64_t shape = 0;  ///< decoded_record::shape
  std::string lag_json;     ///< the `/lag` status object (owner's bytes); empty from a v2 record
                            ///< (the owner answers `/lag`: api_v3 forwards it there)
  std::string status_json;  ///< the `/status` object: partitions above OK only
  notifier_record notifier;
  std::int32_t topic_partition = -1;  ///< where the record was read
  std::int64_t topic_offset = -1;
};

class remote_status {
 public:
  enum class outcome { stored, replaced, removed, ignored };

  /// Applies one decoded record read at (partition, offset). Decode errors are `ignored`.
  outcome apply(decoded&& d, std::int32_t partition, std::int64_t offset);
  const remote_entry* find(std::string_view group) const;
  /// Groups in name order.
  void for_each(const std::function<void(const std::string&, const remote_entry&)>& f) const;
  std::size_t size() const { return groups_.size(); }
  void clear() { groups_.clear(); }

 private:
  std::map<std::string, remote_entry, std::less<>> groups_;
};

}  // namespace warren::fleet
