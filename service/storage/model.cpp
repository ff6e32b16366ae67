#include "service/storage/model.hpp"

#include <algorithm>
#include <stdexcept>

#include "service/core/pattern.hpp"

namespace warren {

// ================================================================================================
// cluster_state
// ================================================================================================

// Burrow matches with Go's regexp.MatchString (unanchored, RE2 syntax): core/pattern is RE2
// with the same semantics, linear in the group name.
struct cluster_state::group_filter {
  std::optional<pattern> allow;
  std::optional<pattern> deny;
};

namespace {
std::optional<pattern> compile_filter(const std::string& text, std::string_view what) {
  if (text.empty()) return std::nullopt;
  auto made = pattern::compile(text);
  if (auto* e = std::get_if<pattern_error>(&made))
    throw std::invalid_argument(std::string(what) + " " + text + ": " + e->message);
  return std::get<pattern>(std::move(made));
}
}  // namespace

cluster_state::cluster_state(storage_options options)
    : options_(std::move(options)),
      filter_(std::make_unique<group_filter>()),
      pending_(options_.pending_per_topic, options_.pending_total) {
  if (options_.intervals < 1 || options_.intervals > 4096)
    throw std::invalid_argument("storage intervals must be within 1..4096");
  filter_->allow = compile_filter(options_.group_allowlist, "group-allowlist");
  filter_->deny = compile_filter(options_.group_denylist, "group-denylist");
}

cluster_state::~cluster_state() = default;
cluster_state::cluster_state(cluster_state&&) noexcept = default;
cluster_state& cluster_state::operator=(cluster_state&&) noexcept = default;

// Burrow compares in whole seconds: (now_s − expire-group) × 1000.
std::int64_t cluster_state::expire_threshold(timestamp_ms now) const {
  const std::int64_t now_s = now.value / 1000;
  return (now_s - options_.expire_group_s) * 1000;
}

bool cluster_state::accept_group(std::string_view group) const {
  // A stored group has passed the filter already: skip the search on the hot path.
  if (!filter_->allow && !filter_->deny) return true;
  if (groups_.find(group) != groups_.end()) return true;
  if (filter_->allow && !filter_->allow->search(group)) return false;
  if (filter_->deny && filter_->deny->search(group)) return false;
  return true;
}

// Burrow getBrokerOffset: the topic must be known, the partition within its count and sampled.
const cluster_state::broker_topic* cluster_state::resolvable(std::string_view topic, std::int32_t partition) const {
  auto it = broker_.find(topic);
  if (it == broker_.end()) return nullptr;
  const auto& t = it->second;
  if (partition < 0 || partition >= t.partition_count) return nullptr;
  if (t.count[static_cast<std::size_t>(partition)] == 0) return nullptr;
  return &t;
}

std::optional<std::int64_t> cluster_state::latest_broker(const broker_topic& t, std::int32_t partition) const {
  if (partition < 0 || partition >= t.partition_count) return std::nullopt;
  const auto p = static_cast<std::size_t>(partition);
  if (t.count[p] == 0) return std::nullopt;
  const auto n = static_cast<std::size_t>(options_.intervals);
  const std::size_t newest = (t.head[p] + t.count[p] - 1) % n;
  return t.samples[p * n + newest].offset;
}

void cluster_state::set_broker_offset(const broker_offset_update& u, timestamp_ms now,
                                      std::vector<std::string>* changed_groups) {
  const std::int32_t partition = u.partition.value;
  if (partition < 0) return;
  auto it = broker_.find(u.topic);
  if (it == broker_.end()) {
    it = broker_.emplace(std::string(u.topic), broker_topic{}).first;
    ++generation_;
  }
  auto& t = it->second;
  const auto n = static_cast<std::size_t>(options_.intervals);
  if (u.partition_count > t.partition_count) {  // grows, never shrinks
    const auto count = static_cast<std::size_t>(u.partition_count);
    t.partition_count = u.partition_count;
    t.samples.resize(count * n);
    t.head.resize(count, 0);
    t.count.resize(count, 0);
    t.history.resize(count);
    t.log_start.resize(count, -1);
  }
  if (partition >= t.partition_count) return;  // Burrow would index out of range here
  const auto p = static_cast<std::size_t>(partition);
  std::size_t slot;
  if (t.count[p] < n) {
    slot = (t.head[p] + t.count[p]) % n;
    ++t.count[p];
  } else {
    slot = t.head[p];
    t.head[p] = static_cast<std::uint16_t>((t.head[p] + 1) % n);
  }
  t.samples[p * n + slot] = broker_sample{u.offset.value, now.value};
  t.history[p].add(u.offset.value, now.value);

  // Warren: apply what was held for this topic and is now resolvable, in arrival order.
  pending_.release(u.topic, [&](const detail::held_entry& e) {
    const broker_topic* bt = resolvable(u.topic, e.partition);
    if (!bt) return false;  // still not resolvable: stays held
    bool changed = false;
    if (e.is_commit) {
      if (e.timestamp < expire_threshold(now)) return true;  // Burrow rule 2, re-checked
      changed = group_changed(apply_commit(e.group, u.topic, e.partition, e.offset, e.order, e.timestamp,
                                           now.value, *bt));
    } else {
      bool created = false;
      auto& g = group_for(e.group, &created);
      changed = apply_owner(g, u.topic, e.partition, e.owner, e.client_id, *bt) || created;
    }
    if (changed && changed_groups &&
        std::find(changed_groups->begin(), changed_groups->end(), e.group) == changed_groups->end())
      changed_groups->push_back(e.group);
    return true;
  });
}

void cluster_state::set_log_start(std::string_view topic, partition_id partition, offset_t offset) {
  auto it = broker_.find(topic);
  if (it == broker_.end() || offset.value < 0) return;
  auto& t = it->second;
  if (partition.value < 0 || partition.value >= t.partition_count) return;
  t.log_start[static_cast<std::size_t>(partition.value)] = offset.value;
}

void cluster_state::set_retention(std::string_view topic, std::int64_t retention_ms) {
  auto it = broker_.find(topic);
  if (it == broker_.end()) return;
  it->second.retention_ms = retention_ms < 0 ? -1 : retention_ms;
}

cluster_state::group_entry& cluster_state::group_for(std::string_view group, bool* created) {
  if (last_group_.entry && last_group_.entry->first == group) return *last_group_.entry;
  auto it = groups_.find(group);
  if (it == groups_.end()) {
    if (created) *created = true;
    it = groups_.emplace(std::string(group), group_state{}).first;
    ++generation_;
  }
  last_group_.entry = &*it;
  return *it;
}

cluster_state::group_map::iterator cluster_state::erase_group(group_map::iterator it) {
  auto& topics = it->second.topics;
  while (!topics.empty()) unlink_topic(topics, topics.begin());
  if (last_group_.entry == &*it) last_group_ = {};
  ++generation_;
  return groups_.erase(it);
}

cluster_state::topic_map::iterator cluster_state::link_topic(group_entry& g, std::string_view topic) {
  auto c = consumers_.find(topic);
  if (c == consumers_.end()) c = consumers_.emplace(std::string(topic), nullptr).first;
  auto t = g.second.topics.emplace(&c->first, group_topic{}).first;
  group_topic& gt = t->second;
  gt.group = &g.first;
  gt.next = c->second;
  if (gt.next) gt.next->prev = &gt;
  c->second = &gt;
  return t;
}

void cluster_state::unlink_topic(topic_map& topics, topic_map::iterator t) {
  auto c = consumers_.find(*t->first);
  group_topic& gt = t->second;
  if (gt.prev) {
    gt.prev->next = gt.next;
  } else {
    c->second = gt.next;
  }
  if (gt.next) gt.next->prev = gt.prev;
  release_slots(gt.slots);
  topics.erase(t);
  if (!c->second) consumers_.erase(c);  // after the erase above: the topic_map key pointed at it
}

// Burrow getConsumerPartition: the topic's slice is sized to the partition count the first time
// any partition of it is touched, so untouched partitions exist without a ring.
cluster_state::partition_slot& cluster_state::slot_for(group_entry& g, std::string_view topic,
                                                       std::int32_t partition, std::int32_t partition_count) {
  auto it = g.second.topics.find(topic);
  if (it == g.second.topics.end()) it = link_topic(g, topic);
  auto& slots = it->second.slots;
  const auto want = static_cast<std::size_t>(std::max(partition_count, partition + 1));
  if (slots.size() < want) slots.resize(want);
  auto& slot = slots[static_cast<std::size_t>(partition)];
  if (!slot.ring.allocated()) {
    slot.ring.allocate(static_cast<std::size_t>(options_.intervals));
    ++tracked_;
  }
  return slot;
}

commit_outcome cluster_state::add_commit(const commit_update& c, timestamp_ms now) {
  // Burrow rule 1 (unknown cluster) is the actor's business: one cluster_state per cluster.
  // Burrow rule 2: old offset.
  if (c.timestamp.value < expire_threshold(now)) return commit_outcome::dropped_expired;
  // Burrow rule 3: group allow/deny lists.
  if (!accept_group(c.group)) return commit_outcome::dropped_filtered;
  // Burrow rule 4: broker lookup. A negative partition is dropped; an unknown topic, a partition
  // beyond the known count or a partition without a broker sample yet is HELD by Warren (Burrow
  // drops these, losing every commit made before the next metadata refresh, reference §h.6).
  if (c.partition.value < 0) return commit_outcome::dropped_invalid;
  const broker_topic* bt = resolvable(c.topic, c.partition.value);
  if (!bt) {
    detail::held_entry e;
    e.is_commit = true;
    e.group = std::string(c.group);
    e.partition = c.partition.value;
    e.offset = c.offset.value;
    e.order = c.order;
    e.timestamp = c.timestamp.value;
    e.held_since = now.value;
    return pending_.hold(c.topic, std::move(e)) ? commit_outcome::held : commit_outcome::dropped_pending_full;
  }
  return apply_commit(c.group, c.topic, c.partition.value, c.offset.value, c.order, c.timestamp.value, now.value,
                      *bt);
}

commit_outcome cluster_state::apply_commit(std::string_view group, std::string_view topic, std::int32_t partition,
                                           std::int64_t offset, std::int64_t order, std::int64_t ts,
                                           std::int64_t now, const broker_topic& bt) {
  // Burrow rule 5: create the group, get or create the partition ring.
  auto& g = group_for(group, nullptr);
  auto& ring = slot_for(g, topic, partition, bt.partition_count).ring;

  // Burrow rule 6: find the destination by order.
  enum class dest { append, insert, prepend, overwrite_oldest };
  dest where = dest::append;
  std::size_t pos = 0;
  const std::size_t k = ring.size();
  if (k > 0) {
    if (ring.full() && ring.at(0).order >= order) return commit_outcome::dropped_backfill;
    if (ring.at(k - 1).order >= order) {
      // Walk backwards from the newest. `p` is the logical slot the commit would go before.
      std::size_t p = k;
      for (;;) {
        if (p == 0) {  // reached an empty slot (the ring is not full): fill it
          where = dest::prepend;
          break;
        }
        const std::size_t q = p - 1;
        if (q == 0 && ring.full()) {  // reached the oldest slot of a full ring: replace it
          where = dest::overwrite_oldest;
          break;
        }
        const std::int64_t q_order = ring.at(q).order;
        if (q_order < order) {  // insert after q, shifting newer entries forward
          where = dest::insert;
          pos = p;
          break;
        }
        if (q_order == order) return commit_outcome::dropped_duplicate;
        p = q;
      }
    }
  }

  // Burrow rule 7: lag and lastCommit on appends only.
  std::optional<std::uint64_t> lag;
  if (where == dest::append) {
    const std::int64_t broker = *latest_broker(bt, partition);
    lag = broker > offset ? static_cast<std::uint64_t>(broker) - static_cast<std::uint64_t>(offset) : 0;
    // Warren (issue 12): a group that may have been left out of a list (below the threshold of this
    // commit or of a list handed out), or one moving backwards, may change the list: bump.
    const std::int64_t old = g.second.last_commit;
    if (ts != old &&
        (ts < old || old < std::max(expire_threshold(timestamp_ms{now}), listed_threshold_)))
      ++generation_;
    g.second.last_commit = ts;
  }

  // Burrow rule 8: min-distance merge into the entry just before the destination. Only appends and
  // inserts can merge: before a filled empty slot there is an empty slot or the newest entry, and
  // before the oldest slot of a full ring there is the newest entry, whose order is never smaller.
  // Burrow's test is `new.ts − prev.ts < min-distance × 1000`, so with min-distance 0 a commit whose
  // timestamp went backwards still merges; kept as is.
  std::optional<std::size_t> prev;
  if (where == dest::append && k > 0) prev = k - 1;
  if (where == dest::insert) prev = pos - 1;
  if (prev) {
    const consumer_offset before = ring.at(*prev);
    if (before.order < order && ts - before.timestamp < options_.min_distance_s * 1000) {
      ring.assign(*prev, consumer_offset{offset, order, before.timestamp, now, lag});  // prev's timestamp kept
      return commit_outcome::merged;
    }
  }

  const consumer_offset sample{offset, order, ts, now, lag};
  switch (where) {
    case dest::append:
      ring.push_back(sample);
      return commit_outcome::appended;
    case dest::insert:
      ring.insert(pos, sample);
      break;
    case dest::prepend:
      ring.push_front(sample);
      break;
    case dest::overwrite_oldest:
      ring.assign(0, sample);
      break;
  }
  return commit_outcome::inserted;
}

bool cluster_state::apply_owner(group_entry& g, std::string_view topic, std::int32_t partition,
                                std::string_view owner, std::string_view client_id, const broker_topic& bt) {
  auto& slot = slot_for(g, topic, partition, bt.partition_count);  // creates the (empty) ring, as Burrow does
  if (strings_.get(slot.owner) == owner && strings_.get(slot.client_id) == client_id) return false;
  const auto o = strings_.acquire(owner);
  const auto c = strings_.acquire(client_id);
  strings_.release(slot.owner);
  strings_.release(slot.client_id);
  slot.owner = o;
  slot.client_id = c;
  return true;
}

bool cluster_state::set_owner(const owner_update& o, timestamp_ms now) {
  if (!accept_group(o.group)) return false;
  bool created = false;
  auto& g = group_for(o.group, &created);  // Burrow creates the group before the broker lookup
  if (o.partition.value < 0) return created;
  const broker_topic* bt = resolvable(o.topic, o.partition.value);
  if (!bt) {
    detail::held_entry e;
    e.is_commit = false;
    e.group = std::string(o.group);
    e.partition = o.partition.value;
    e.owner = std::string(o.owner);
    e.client_id = std::string(o.client_id);
    e.held_since = now.value;
    pending_.hold(o.topic, std::move(e));
    return created;
  }
  return apply_owner(g, o.topic, o.partition.value, o.owner, o.client_id, *bt) || created;
}

bool cluster_state::forget_partition(std::string_view group, std::string_view topic, partition_id partition) {
  const bool dropped = pending_.erase_partition(topic, group, partition.value);
  auto it = groups_.find(group);
  if (it == groups_.end()) return dropped;
  auto& topics = it->second.topics;
  auto t = topics.find(topic);
  if (t == topics.end() || partition.value < 0 ||
      static_cast<std::size_t>(partition.value) >= t->second.slots.size())
    return dropped;
  auto& slots = t->second.slots;
  auto& slot = slots[static_cast<std::size_t>(partition.value)];
  if (!slot.ring.allocated() && slot.owner == 0 && slot.client_id == 0) return dropped;
  strings_.release(slot.owner);
  strings_.release(slot.client_id);
  if (slot.ring.allocated()) --tracked_;
  slot = partition_slot{};
  const bool any_left =
      std::any_of(slots.begin(), slots.end(), [](const partition_slot& s) { return s.ring.allocated(); });
  if (!any_left) {
    unlink_topic(topics, t);
    if (topics.empty()) erase_group(it);
  }
  return true;
}

bool cluster_state::clear_owners(std::string_view group) {
  // Owners still held for a topic without broker data belong to the generation being replaced:
  // applied later, they would name members that are gone.
  pending_.erase_owners(group);
  auto it = groups_.find(group);
  if (it == groups_.end()) return false;
  for (auto& [topic, gt] : it->second.topics) {
    for (auto& s : gt.slots) {
      strings_.release(s.owner);
      strings_.release(s.client_id);
      s.owner = s.client_id = 0;
    }
  }
  return true;
}

void cluster_state::release_slots(std::vector<partition_slot>& slots) {
  for (auto& s : slots) {
    if (s.ring.allocated()) --tracked_;  // the slots go with their topic
    strings_.release(s.owner);
    strings_.release(s.client_id);
    s.owner = s.client_id = 0;
  }
}

bool cluster_state::delete_group(std::string_view group) {
  auto it = groups_.find(group);
  if (it == groups_.end()) return false;
  erase_group(it);
  return true;
}

bool cluster_state::delete_group_topic(std::string_view group, std::string_view topic) {
  auto it = groups_.find(group);
  if (it == groups_.end()) return false;
  auto& topics = it->second.topics;
  auto t = topics.find(topic);
  if (t == topics.end()) return false;
  unlink_topic(topics, t);
  if (topics.empty()) erase_group(it);
  return true;
}

std::vector<std::string> cluster_state::delete_topic(std::string_view topic_view) {
  const std::string topic(topic_view);  // the caller's view may point at a name erased below
  std::vector<std::string> changed;
  consumers_of(topic, changed);
  // From the index: only the groups holding the topic are visited. Each unlink edits the index, so
  // the groups are taken by name first.
  for (const auto& name : changed) {
    auto it = groups_.find(name);
    auto& topics = it->second.topics;
    unlink_topic(topics, topics.find(topic));
    // Burrow #426: a group left without topics stayed forever (OK, 0 partitions). Warren removes it.
    if (topics.empty()) erase_group(it);
  }
  if (auto b = broker_.find(topic); b != broker_.end()) {
    broker_.erase(b);
    ++generation_;
  }
  pending_.erase_topic(topic);
  std::sort(changed.begin(), changed.end());
  return changed;
}

std::vector<std::string> cluster_state::expire(timestamp_ms now) {
  std::vector<std::string> removed;
  const std::int64_t threshold = expire_threshold(now);
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (threshold > it->second.last_commit) {  // same test as Burrow's lazy purge in FetchConsumer
      removed.push_back(it->first);
      it = erase_group(it);
    } else {
      ++it;
    }
  }
  pending_.expire(now.value - options_.pending_max_age_s * 1000);
  std::sort(removed.begin(), removed.end());
  return removed;
}

// ---- queries ----------------------------------------------------------------------------------

std::vector<std::string> cluster_state::topics() const {
  std::vector<std::string> out;
  out.reserve(broker_.size());
  for (const auto& [name, t] : broker_) out.push_back(name);
  return out;  // std::map: already sorted
}

std::optional<std::vector<std::int64_t>> cluster_state::topic_offsets(std::string_view topic) const {
  auto it = broker_.find(topic);
  if (it == broker_.end()) return std::nullopt;
  std::vector<std::int64_t> out;
  for (std::int32_t p = 0; p < it->second.partition_count; ++p)
    if (auto v = latest_broker(it->second, p)) out.push_back(*v);
  return out;
}

std::optional<std::int32_t> cluster_state::partition_count(std::string_view topic) const {
  auto it = broker_.find(topic);
  if (it == broker_.end()) return std::nullopt;
  return it->second.partition_count;
}

std::vector<broker_sample> cluster_state::broker_history(std::string_view topic, partition_id partition) const {
  std::vector<broker_sample> out;
  auto it = broker_.find(topic);
  if (it == broker_.end() || partition.value < 0 || partition.value >= it->second.partition_count) return out;
  const auto& t = it->second;
  const auto p = static_cast<std::size_t>(partition.value);
  const auto n = static_cast<std::size_t>(options_.intervals);
  for (std::size_t i = 0; i < t.count[p]; ++i) out.push_back(t.samples[p * n + (t.head[p] + i) % n]);
  return out;
}

std::vector<history_point> cluster_state::log_end_points(std::string_view topic, partition_id partition) const {
  std::vector<history_point> out;
  auto it = broker_.find(topic);
  if (it == broker_.end() || partition.value < 0 || partition.value >= it->second.partition_count) return out;
  it->second.history[static_cast<std::size_t>(partition.value)].copy_to(out);
  return out;
}

std::int64_t cluster_state::log_start(std::string_view topic, partition_id partition) const {
  auto it = broker_.find(topic);
  if (it == broker_.end() || partition.value < 0 || partition.value >= it->second.partition_count) return -1;
  return it->second.log_start[static_cast<std::size_t>(partition.value)];
}

std::int64_t cluster_state::retention_ms(std::string_view topic) const {
  auto it = broker_.find(topic);
  return it == broker_.end() ? retention_unknown : it->second.retention_ms;
}

std::vector<std::string> cluster_state::groups() const {
  std::vector<std::string> out;
  out.reserve(groups_.size());
  for (const auto& [name, g] : groups_) out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> cluster_state::groups_of_topic(std::string_view topic) const {
  std::vector<std::string> out;
  consumers_of(topic, out);
  std::sort(out.begin(), out.end());
  return out;
}

void cluster_state::consumers_of(std::string_view topic, std::vector<std::string>& out) const {
  auto c = consumers_.find(topic);
  if (c == consumers_.end()) return;
  for (const group_topic* gt = c->second; gt; gt = gt->next) out.push_back(*gt->group);
}

bool cluster_state::has_group(std::string_view group) const { return groups_.find(group) != groups_.end(); }

// The same test as view_group's lazy expiry.
bool cluster_state::answerable(std::string_view group, timestamp_ms now) const {
  auto it = groups_.find(group);
  return it != groups_.end() && !(expire_threshold(now) > it->second.last_commit);
}

cluster_state::group_list_stamp cluster_state::answerable_groups(timestamp_ms now,
                                                                 std::vector<std::string_view>& out) const {
  out.clear();
  group_list_stamp s{generation_, expire_threshold(now), INT64_MAX};
  listed_threshold_ = std::max(listed_threshold_, s.threshold);
  out.reserve(groups_.size());
  for (const auto& [name, g] : groups_) {
    if (s.threshold > g.last_commit) continue;
    out.emplace_back(name);
    s.oldest = std::min(s.oldest, g.last_commit);
  }
  std::sort(out.begin(), out.end());
  return s;
}

// Listed groups had last_commit ≥ s.oldest ≥ threshold; one that moved backwards or one unlisted that
// moved at all bumped the generation (apply_commit). So with the generation unchanged, a later
// threshold in [s.threshold, s.oldest] lists the same groups.
bool cluster_state::same_answerable_groups(const group_list_stamp& s, timestamp_ms now) const {
  const std::int64_t t = expire_threshold(now);
  return s.generation == generation_ && t >= s.threshold && t <= s.oldest;
}

std::size_t cluster_state::group_count() const { return groups_.size(); }

bool cluster_state::view_group(std::string_view group, timestamp_ms now, group_view& out) const {
  out.clear();
  auto it = groups_.find(group);
  if (it == groups_.end()) return false;
  const auto& g = it->second;
  if (expire_threshold(now) > g.last_commit) return false;  // Burrow's lazy expiry (answered as not found)
  out.last_commit = g.last_commit;
  const auto n = static_cast<std::size_t>(options_.intervals);
  for (const auto& [topic, gt] : g.topics) {
    const auto topic_index = static_cast<std::uint32_t>(out.topics.size());
    out.topics.push_back(*topic);
    const auto& slots = gt.slots;
    auto b = broker_.find(*topic);
    const broker_topic* bt = b == broker_.end() ? nullptr : &b->second;
    for (std::size_t p = 0; p < slots.size(); ++p) {
      const auto& s = slots[p];
      partition_view v;
      v.topic = topic_index;
      v.partition = static_cast<std::int32_t>(p);
      v.owner = strings_.get(s.owner);
      v.client_id = strings_.get(s.client_id);
      v.window_begin = static_cast<std::uint32_t>(out.samples.size());
      v.broker_begin = static_cast<std::uint32_t>(out.broker_offsets.size());
      if (s.ring.allocated()) {
        v.ring_length = static_cast<std::uint32_t>(s.ring.capacity());
        v.window_size = static_cast<std::uint32_t>(s.ring.size());
        for (std::size_t i = 0; i < s.ring.size(); ++i) out.samples.push_back(s.ring.at(i));
      }
      // Burrow FetchConsumer: broker history and current lag only while the topic is known.
      if (bt && static_cast<std::int32_t>(p) < bt->partition_count) {
        const std::size_t cnt = bt->count[p];
        for (std::size_t i = 0; i < cnt; ++i)
          out.broker_offsets.push_back(bt->samples[p * n + (bt->head[p] + i) % n].offset);
        v.broker_size = static_cast<std::uint32_t>(cnt);
        v.history_begin = static_cast<std::uint32_t>(out.history.size());
        bt->history[p].copy_to(out.history);
        v.history_size = static_cast<std::uint32_t>(out.history.size() - v.history_begin);
        v.log_start = bt->log_start[p];
        v.retention_ms = bt->retention_ms;
        if (cnt > 0 && v.window_size > 0) {
          const std::int64_t broker = out.broker_offsets.back();
          const std::int64_t newest = out.samples.back().offset;
          v.current_lag =
              broker > newest ? static_cast<std::uint64_t>(broker) - static_cast<std::uint64_t>(newest) : 0;
        }
      }
      out.partitions.push_back(v);
    }
  }
  return true;
}

std::optional<group_view> cluster_state::view_group(std::string_view group, timestamp_ms now) const {
  group_view v;
  if (!view_group(group, now, v)) return std::nullopt;
  return v;
}

}  // namespace warren
