#include "service/fleet/remote_status.hpp"

namespace warren::fleet {

remote_status::outcome remote_status::apply(decoded&& d, std::int32_t partition, std::int64_t offset) {
  if (auto* t = std::get_if<tombstone>(&d)) {
    auto it = groups_.find(t->group);
    if (it == groups_.end()) return outcome::ignored;
    groups_.erase(it);
    return outcome::removed;
  }
  auto* r = std::get_if<decoded_record>(&d);
  if (!r) return outcome::ignored;
  remote_entry e;
  e.owner = std::move(r->record.owner);
  e.evaluated_at = r->record.evaluated_at;
  e.status = r->status;
  e.totallag = r->totallag;
  e.shape = r->shape;
  if (r->record.all_partitions) e.lag_json = std::move(r->record.status_json);
  e.status_json = std::move(r->problems_json);
  e.notifier = std::move(r->record.notifier);
  e.topic_partition = partition;
  e.topic_offset = offset;
  auto [it, inserted] = groups_.try_emplace(std::move(r->record.group));
  if (!inserted && it->second.topic_partition == partition && it->second.topic_offset > offset)
    return outcome::ignored;  // an older record re-read (a replay from an earlier position)
  it->second = std::move(e);
  return inserted ? outcome::stored : outcome::replaced;
}

const remote_entry* remote_status::find(std::string_view group) const {
  auto it = groups_.find(group);
  return it == groups_.end() ? nullptr : &it->second;
}

void remote_status::for_each(const std::function<void(const std::string&, const remote_entry&)>& f) const {
  for (const auto& [g, e] : groups_) f(g, e);
}

}  // namespace warren::fleet
