// cluster_state's snapshot export/import (issue 14) and forgetting one offsets-topic partition.
#include <algorithm>
#include <stdexcept>

#include "service/storage/model.hpp"
#include "service/storage/snapshot.hpp"

namespace warren {

std::vector<std::vector<std::string>> cluster_state::groups_by_offsets_partition(std::int32_t count) const {
  if (count < 1) throw std::logic_error("groups_by_offsets_partition: count must be at least 1");
  std::vector<std::vector<std::string>> out(static_cast<std::size_t>(count));
  for (const auto& [name, g] : groups_)
    out[static_cast<std::size_t>(snapshot::offsets_partition_for(name, count))].push_back(name);
  for (auto& bucket : out) std::sort(bucket.begin(), bucket.end());
  return out;
}

void cluster_state::export_groups(std::span<const std::string> names, snapshot::partition_image& out) const {
  for (const auto& name : names) {
    auto it = groups_.find(name);
    if (it == groups_.end()) continue;
    snapshot::group_image g;
    g.name = name;
    g.last_commit = it->second.last_commit;
    for (const auto& [topic, gt] : it->second.topics) {  // topic_map: sorted by name
      snapshot::topic_image t;
      t.name = *topic;
      t.slot_count = static_cast<std::uint32_t>(gt.slots.size());
      for (std::size_t p = 0; p < gt.slots.size(); ++p) {
        const auto& s = gt.slots[p];
        // A slot without a ring never had a commit or an owner (slot_for allocates for both).
        if (!s.ring.allocated()) continue;
        snapshot::slot_image si;
        si.partition = static_cast<std::int32_t>(p);
        si.owner = std::string(strings_.get(s.owner));
        si.client_id = std::string(strings_.get(s.client_id));
        si.window.reserve(s.ring.size());
        for (std::size_t i = 0; i < s.ring.size(); ++i) si.window.push_back(s.ring.at(i));
        t.slots.push_back(std::move(si));
      }
      if (!t.slots.empty()) g.topics.push_back(std::move(t));
    }
    out.groups.push_back(std::move(g));
  }
}

snapshot_import cluster_state::import_snapshot(const snapshot::image& img, timestamp_ms now) {
  if (!groups_.empty()) throw std::logic_error("import_snapshot: the state already holds groups");
  if (img.head.intervals != static_cast<std::uint32_t>(options_.intervals))
    throw std::logic_error("import_snapshot: the snapshot was taken with another intervals");
  snapshot_import r;
  const std::int64_t threshold = expire_threshold(now);
  const auto n = static_cast<std::size_t>(options_.intervals);
  for (const auto& part : img.partitions) {
    for (const auto& gi : part.groups) {
      // Burrow rule 3 with today's lists. Expiry is left to expire() and view_group's lazy check,
      // exactly as without the restart (groups() lists a group awaiting expiry either way).
      if (!accept_group(gi.name)) {
        ++r.skipped_filtered;
        continue;
      }
      if (threshold > gi.last_commit) ++r.expired;
      auto& g = group_for(gi.name, nullptr);
      g.second.last_commit = gi.last_commit;
      for (const auto& ti : gi.topics) {
        auto t = link_topic(g, ti.name);
        auto& slots = t->second.slots;
        slots.resize(ti.slot_count);
        for (const auto& si : ti.slots) {
          auto& slot = slots[static_cast<std::size_t>(si.partition)];
          if (!slot.ring.allocated()) {
            slot.ring.allocate(n);
            ++tracked_;
          }
          // The decoder checked the window: at most `intervals` samples in strictly increasing
          // order, so pushing them back rebuilds Burrow rule 6's ring exactly.
          for (const auto& c : si.window) slot.ring.push_back(c);
          slot.owner = strings_.acquire(si.owner);
          slot.client_id = strings_.acquire(si.client_id);
        }
      }
      ++r.groups;
    }
  }
  return r;
}

std::vector<std::string> cluster_state::forget_offsets_partition(std::int32_t partition, std::int32_t count) {
  std::vector<std::string> removed;
  if (count < 1 || partition < 0 || partition >= count) return removed;
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (snapshot::offsets_partition_for(it->first, count) == partition) {
      removed.push_back(it->first);
      it = erase_group(it);
    } else {
      ++it;
    }
  }
  std::sort(removed.begin(), removed.end());
  return removed;
}

}  // namespace warren
