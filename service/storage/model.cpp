#include "service/storage/model.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <regex>
#include <stdexcept>

namespace warren {

// ================================================================================================
// sample_ring
// ================================================================================================
namespace detail {
namespace {

// Block layout: ring_header, then `capacity` samples, compact (28 bytes) or wide (40 bytes).
// Everything is read and written through memcpy at fixed field offsets, so the block is plain bytes
// and compact samples need no padding.
struct ring_header {
  std::int64_t time_base = 0;   // compact: timestamp and observed_at are unsigned deltas from it
  std::int64_t order_base = 0;  // compact: order is an unsigned delta from it
  std::uint16_t capacity = 0;
  std::uint16_t head = 0;  // physical slot of the oldest sample
  std::uint16_t count = 0;
  std::uint8_t wide = 0;
  std::uint8_t reserved = 0;
};
static_assert(sizeof(ring_header) == 24);

// compact: offset i64 | lag u64 | order−order_base u32 | timestamp−time_base u32 | observed_at−time_base u32
constexpr std::size_t compact_stride = 28;
// wide:    offset i64 | lag u64 | order i64 | timestamp i64 | observed_at i64
constexpr std::size_t wide_stride = 40;

// A stored lag of 2^64−1 is clamped to 2^64−2 so that the sentinel stays free (only reachable with
// offsets at opposite ends of the int64 range).
constexpr std::uint64_t no_lag = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t delta_max = std::numeric_limits<std::uint32_t>::max();

std::uint64_t encode_lag(const std::optional<std::uint64_t>& lag) {
  if (!lag) return no_lag;
  return std::min(*lag, no_lag - 1);
}
std::optional<std::uint64_t> decode_lag(std::uint64_t v) {
  if (v == no_lag) return std::nullopt;
  return v;
}

std::size_t block_size(std::size_t capacity, bool wide) {
  return sizeof(ring_header) + capacity * (wide ? wide_stride : compact_stride);
}

ring_header read_header(const std::byte* block) {
  ring_header h;
  std::memcpy(&h, block, sizeof h);
  return h;
}
void write_header(std::byte* block, const ring_header& h) { std::memcpy(block, &h, sizeof h); }

template <class T>
T load(const std::byte* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class T>
void store(std::byte* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

// Unsigned distance a − b for a ≥ b, exact over the whole int64 range.
std::uint64_t distance(std::int64_t a, std::int64_t b) {
  return static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b);
}
std::int64_t add(std::int64_t base, std::uint32_t delta) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(base) + delta);
}
bool within(std::int64_t v, std::int64_t base) { return v >= base && distance(v, base) <= delta_max; }

}  // namespace

sample_ring::~sample_ring() { ::operator delete(block_); }

sample_ring& sample_ring::operator=(sample_ring&& other) noexcept {
  if (this != &other) {
    ::operator delete(block_);
    block_ = std::exchange(other.block_, nullptr);
  }
  return *this;
}

void sample_ring::allocate(std::size_t capacity) {
  if (block_) return;
  block_ = static_cast<std::byte*>(::operator new(block_size(capacity, false)));
  ring_header h;
  h.capacity = static_cast<std::uint16_t>(capacity);
  write_header(block_, h);
}

std::size_t sample_ring::capacity() const { return block_ ? read_header(block_).capacity : 0; }
std::size_t sample_ring::size() const { return block_ ? read_header(block_).count : 0; }
bool sample_ring::wide() const { return block_ && read_header(block_).wide != 0; }
std::size_t sample_ring::heap_bytes() const { return block_ ? block_size(capacity(), wide()) : 0; }

std::size_t sample_ring::physical(std::size_t i) const {
  const auto h = read_header(block_);
  return (h.head + i) % h.capacity;
}

consumer_offset sample_ring::at(std::size_t i) const {
  const auto h = read_header(block_);
  const std::size_t slot = (h.head + i) % h.capacity;
  consumer_offset out;
  if (h.wide) {
    const std::byte* p = block_ + sizeof(ring_header) + slot * wide_stride;
    out = {load<std::int64_t>(p), load<std::int64_t>(p + 16), load<std::int64_t>(p + 24),
           load<std::int64_t>(p + 32), decode_lag(load<std::uint64_t>(p + 8))};
  } else {
    const std::byte* p = block_ + sizeof(ring_header) + slot * compact_stride;
    out = {load<std::int64_t>(p), add(h.order_base, load<std::uint32_t>(p + 16)),
           add(h.time_base, load<std::uint32_t>(p + 20)), add(h.time_base, load<std::uint32_t>(p + 24)),
           decode_lag(load<std::uint64_t>(p + 8))};
  }
  return out;
}

std::vector<consumer_offset> sample_ring::all() const {
  std::vector<consumer_offset> v;
  const std::size_t n = size();
  v.reserve(n + 1);
  for (std::size_t i = 0; i < n; ++i) v.push_back(at(i));
  return v;
}

bool sample_ring::fits(const consumer_offset& s) const {
  const auto h = read_header(block_);
  if (h.wide) return true;
  return within(s.timestamp, h.time_base) && within(s.observed_at, h.time_base) && within(s.order, h.order_base);
}

void sample_ring::put(std::size_t slot, const consumer_offset& s) {
  const auto h = read_header(block_);
  if (h.wide) {
    std::byte* p = block_ + sizeof(ring_header) + slot * wide_stride;
    store(p, s.offset);
    store(p + 8, encode_lag(s.lag));
    store(p + 16, s.order);
    store(p + 24, s.timestamp);
    store(p + 32, s.observed_at);
  } else {
    std::byte* p = block_ + sizeof(ring_header) + slot * compact_stride;
    store(p, s.offset);
    store(p + 8, encode_lag(s.lag));
    store(p + 16, static_cast<std::uint32_t>(distance(s.order, h.order_base)));
    store(p + 20, static_cast<std::uint32_t>(distance(s.timestamp, h.time_base)));
    store(p + 24, static_cast<std::uint32_t>(distance(s.observed_at, h.time_base)));
  }
}

// Re-encodes the whole window, picking the base and the sample width from its contents. Used on
// the rare paths (backfill, a timestamp outside the compact range); appends take the fast path.
void sample_ring::rebuild(const std::vector<consumer_offset>& v) {
  auto h = read_header(block_);
  std::int64_t lo = std::numeric_limits<std::int64_t>::max();
  std::int64_t hi = std::numeric_limits<std::int64_t>::min();
  std::int64_t order_lo = std::numeric_limits<std::int64_t>::max();
  std::int64_t order_hi = std::numeric_limits<std::int64_t>::min();
  for (const auto& s : v) {
    lo = std::min({lo, s.timestamp, s.observed_at});
    hi = std::max({hi, s.timestamp, s.observed_at});
    order_lo = std::min(order_lo, s.order);
    order_hi = std::max(order_hi, s.order);
  }
  const bool wide = !v.empty() && (distance(hi, lo) > delta_max || distance(order_hi, order_lo) > delta_max);
  if (wide != (h.wide != 0)) {
    auto* other = static_cast<std::byte*>(::operator new(block_size(h.capacity, wide)));
    ::operator delete(block_);
    block_ = other;
  }
  h.wide = wide ? 1 : 0;
  h.time_base = v.empty() ? 0 : lo;
  h.order_base = v.empty() ? 0 : order_lo;
  h.head = 0;
  h.count = static_cast<std::uint16_t>(v.size());
  write_header(block_, h);
  for (std::size_t i = 0; i < v.size(); ++i) put(i, v[i]);
}

void sample_ring::push_back(const consumer_offset& s) {
  auto h = read_header(block_);
  if (fits(s)) {
    std::size_t slot;
    if (h.count < h.capacity) {
      slot = (h.head + h.count) % h.capacity;
      ++h.count;
    } else {
      slot = h.head;
      h.head = static_cast<std::uint16_t>((h.head + 1) % h.capacity);
    }
    write_header(block_, h);
    put(slot, s);
    return;
  }
  auto v = all();
  if (v.size() == h.capacity) v.erase(v.begin());
  v.push_back(s);
  rebuild(v);
}

void sample_ring::push_front(const consumer_offset& s) {
  auto h = read_header(block_);
  if (h.count >= h.capacity) return;  // contract violation; nothing sensible to do
  if (fits(s)) {
    h.head = static_cast<std::uint16_t>((h.head + h.capacity - 1) % h.capacity);
    ++h.count;
    write_header(block_, h);
    put(h.head, s);
    return;
  }
  auto v = all();
  v.insert(v.begin(), s);
  rebuild(v);
}

void sample_ring::insert(std::size_t i, const consumer_offset& s) {
  auto v = all();
  if (v.size() == capacity()) {
    v.erase(v.begin());
    i = i == 0 ? 0 : i - 1;
  }
  v.insert(v.begin() + static_cast<std::ptrdiff_t>(std::min(i, v.size())), s);
  rebuild(v);
}

void sample_ring::assign(std::size_t i, const consumer_offset& s) {
  if (fits(s)) {
    put(physical(i), s);
    return;
  }
  auto v = all();
  v[i] = s;
  rebuild(v);
}

// ================================================================================================
// string_pool
// ================================================================================================

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

}  // namespace detail

// ================================================================================================
// cluster_state
// ================================================================================================

// Burrow matches with Go's regexp.MatchString (unanchored, RE2). std::regex (ECMAScript) with
// regex_search is the closest standard equivalent; the syntax differences do not matter for the
// usual `^prefix-.*` style lists.
struct cluster_state::group_filter {
  std::optional<std::regex> allow;
  std::optional<std::regex> deny;
};

cluster_state::cluster_state(storage_options options)
    : options_(std::move(options)), filter_(std::make_unique<group_filter>()) {
  if (options_.intervals < 1 || options_.intervals > 4096)
    throw std::invalid_argument("storage intervals must be within 1..4096");
  if (!options_.group_allowlist.empty()) filter_->allow.emplace(options_.group_allowlist);
  if (!options_.group_denylist.empty()) filter_->deny.emplace(options_.group_denylist);
}

cluster_state::~cluster_state() = default;
cluster_state::cluster_state(cluster_state&&) noexcept = default;
cluster_state& cluster_state::operator=(cluster_state&&) noexcept = default;

// Burrow compares in whole seconds: (now_s − expire-group) × 1000.
std::int64_t cluster_state::expire_threshold(timestamp_ms now) const {
  const std::int64_t now_s = now.value / 1000;
  return (now_s - options_.expire_group_s) * 1000;
}

namespace {
constexpr std::size_t max_filtered_group_name = 1024;
}  // namespace

bool cluster_state::accept_group(std::string_view group) const {
  // A stored group has passed the filter already: skip the (slow) regex on the hot path.
  if (!filter_->allow && !filter_->deny) return true;
  if (groups_.find(group) != groups_.end()) return true;
  // libstdc++'s regex search recurses per character: a huge name could overflow the stack.
  // Names this long are not real groups; with a filter configured they are not accepted.
  if (group.size() > max_filtered_group_name) return false;
  if (filter_->allow && !std::regex_search(group.begin(), group.end(), *filter_->allow)) return false;
  if (filter_->deny && std::regex_search(group.begin(), group.end(), *filter_->deny)) return false;
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
  if (it == broker_.end()) it = broker_.emplace(std::string(u.topic), broker_topic{}).first;
  auto& t = it->second;
  const auto n = static_cast<std::size_t>(options_.intervals);
  if (u.partition_count > t.partition_count) {  // grows, never shrinks
    const auto count = static_cast<std::size_t>(u.partition_count);
    t.partition_count = u.partition_count;
    t.samples.resize(count * n);
    t.head.resize(count, 0);
    t.count.resize(count, 0);
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

  // Warren: apply what was held for this topic and is now resolvable, in arrival order.
  auto pit = pending_.find(u.topic);
  if (pit == pending_.end()) return;
  std::deque<pending_entry> keep;
  auto held = std::move(pit->second);
  pending_.erase(pit);
  for (auto& e : held) {
    --pending_total_;
    const broker_topic* bt = resolvable(u.topic, e.partition);
    if (!bt) {
      keep.push_back(std::move(e));
      continue;
    }
    bool changed = false;
    if (e.is_commit) {
      if (e.timestamp < expire_threshold(now)) continue;  // Burrow rule 2, re-checked
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
  }
  if (!keep.empty()) {
    pending_total_ += keep.size();
    pending_.emplace(std::string(u.topic), std::move(keep));
  }
}

cluster_state::group_state& cluster_state::group_for(std::string_view group, bool* created) {
  if (last_group_.group && *last_group_.key == group) return *last_group_.group;
  auto it = groups_.find(group);
  if (it == groups_.end()) {
    if (created) *created = true;
    it = groups_.emplace(std::string(group), group_state{}).first;
  }
  last_group_.key = &it->first;
  last_group_.group = &it->second;
  return it->second;
}

cluster_state::group_map::iterator cluster_state::erase_group(group_map::iterator it) {
  if (last_group_.group == &it->second) last_group_ = {};
  return groups_.erase(it);
}

// Burrow getConsumerPartition: the topic's slice is sized to the partition count the first time
// any partition of it is touched, so untouched partitions exist without a ring.
cluster_state::partition_slot& cluster_state::slot_for(group_state& g, std::string_view topic,
                                                       std::int32_t partition, std::int32_t partition_count) {
  auto it = g.topics.find(topic);
  if (it == g.topics.end()) it = g.topics.emplace(std::string(topic), std::vector<partition_slot>{}).first;
  auto& slots = it->second;
  const auto want = static_cast<std::size_t>(std::max(partition_count, partition + 1));
  if (slots.size() < want) slots.resize(want);
  auto& slot = slots[static_cast<std::size_t>(partition)];
  slot.ring.allocate(static_cast<std::size_t>(options_.intervals));
  return slot;
}

bool cluster_state::hold(std::string_view topic, pending_entry e) {
  auto it = pending_.find(topic);
  if (pending_total_ >= options_.pending_total || (it != pending_.end() && it->second.size() >= options_.pending_per_topic)) {
    // Full: make room by dropping this topic's oldest entry; a topic with nothing held cannot make room.
    if (it == pending_.end() || it->second.empty() || options_.pending_per_topic == 0) {
      ++pending_dropped_;
      return false;
    }
    it->second.pop_front();
    --pending_total_;
    ++pending_dropped_;
  }
  if (it == pending_.end()) it = pending_.emplace(std::string(topic), std::deque<pending_entry>{}).first;
  it->second.push_back(std::move(e));
  ++pending_total_;
  return true;
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
    pending_entry e;
    e.is_commit = true;
    e.group = std::string(c.group);
    e.partition = c.partition.value;
    e.offset = c.offset.value;
    e.order = c.order;
    e.timestamp = c.timestamp.value;
    e.held_since = now.value;
    return hold(c.topic, std::move(e)) ? commit_outcome::held : commit_outcome::dropped_pending_full;
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
    g.last_commit = ts;
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

bool cluster_state::apply_owner(group_state& g, std::string_view topic, std::int32_t partition,
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
    pending_entry e;
    e.is_commit = false;
    e.group = std::string(o.group);
    e.partition = o.partition.value;
    e.owner = std::string(o.owner);
    e.client_id = std::string(o.client_id);
    e.held_since = now.value;
    hold(o.topic, std::move(e));
    return created;
  }
  return apply_owner(g, o.topic, o.partition.value, o.owner, o.client_id, *bt) || created;
}

bool cluster_state::forget_partition(std::string_view group, std::string_view topic, partition_id partition) {
  bool dropped = false;
  if (auto p = pending_.find(topic); p != pending_.end()) {
    const auto before = p->second.size();
    std::erase_if(p->second,
                  [&](const pending_entry& e) { return e.group == group && e.partition == partition.value; });
    pending_total_ -= before - p->second.size();
    dropped = before != p->second.size();
    if (p->second.empty()) pending_.erase(p);
  }
  auto it = groups_.find(group);
  if (it == groups_.end()) return dropped;
  auto& topics = it->second.topics;
  auto t = topics.find(topic);
  if (t == topics.end() || partition.value < 0 || static_cast<std::size_t>(partition.value) >= t->second.size())
    return dropped;
  auto& slot = t->second[static_cast<std::size_t>(partition.value)];
  if (!slot.ring.allocated() && slot.owner == 0 && slot.client_id == 0) return dropped;
  strings_.release(slot.owner);
  strings_.release(slot.client_id);
  slot = partition_slot{};
  const bool any_left =
      std::any_of(t->second.begin(), t->second.end(), [](const partition_slot& s) { return s.ring.allocated(); });
  if (!any_left) {
    release_slots(t->second);
    topics.erase(t);
    if (topics.empty()) erase_group(it);
  }
  return true;
}

bool cluster_state::clear_owners(std::string_view group) {
  auto it = groups_.find(group);
  if (it == groups_.end()) return false;
  for (auto& [topic, slots] : it->second.topics) {
    for (auto& s : slots) {
      strings_.release(s.owner);
      strings_.release(s.client_id);
      s.owner = s.client_id = 0;
    }
  }
  return true;
}

void cluster_state::release_slots(std::vector<partition_slot>& slots) {
  for (auto& s : slots) {
    strings_.release(s.owner);
    strings_.release(s.client_id);
  }
}

void cluster_state::release_group(group_state& g) {
  for (auto& [topic, slots] : g.topics) release_slots(slots);
}

bool cluster_state::delete_group(std::string_view group) {
  auto it = groups_.find(group);
  if (it == groups_.end()) return false;
  release_group(it->second);
  erase_group(it);
  return true;
}

bool cluster_state::delete_group_topic(std::string_view group, std::string_view topic) {
  auto it = groups_.find(group);
  if (it == groups_.end()) return false;
  auto& topics = it->second.topics;
  auto t = topics.find(topic);
  if (t == topics.end()) return false;
  release_slots(t->second);
  topics.erase(t);
  if (topics.empty()) erase_group(it);
  return true;
}

std::vector<std::string> cluster_state::delete_topic(std::string_view topic) {
  std::vector<std::string> changed;
  for (auto it = groups_.begin(); it != groups_.end();) {
    auto& topics = it->second.topics;
    auto t = topics.find(topic);
    if (t == topics.end()) {
      ++it;
      continue;
    }
    changed.push_back(it->first);
    release_slots(t->second);
    topics.erase(t);
    // Burrow #426: a group left without topics stayed forever (OK, 0 partitions). Warren removes it.
    it = topics.empty() ? erase_group(it) : std::next(it);
  }
  if (auto b = broker_.find(topic); b != broker_.end()) broker_.erase(b);
  if (auto p = pending_.find(topic); p != pending_.end()) {
    pending_total_ -= p->second.size();
    pending_.erase(p);
  }
  std::sort(changed.begin(), changed.end());
  return changed;
}

std::vector<std::string> cluster_state::expire(timestamp_ms now) {
  std::vector<std::string> removed;
  const std::int64_t threshold = expire_threshold(now);
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (threshold > it->second.last_commit) {  // same test as Burrow's lazy purge in FetchConsumer
      removed.push_back(it->first);
      release_group(it->second);
      it = erase_group(it);
    } else {
      ++it;
    }
  }
  const std::int64_t held_threshold = now.value - options_.pending_max_age_s * 1000;
  for (auto it = pending_.begin(); it != pending_.end();) {
    auto& q = it->second;
    const auto before = q.size();
    std::erase_if(q, [&](const pending_entry& e) { return e.held_since < held_threshold; });
    pending_total_ -= before - q.size();
    pending_dropped_ += before - q.size();
    it = q.empty() ? pending_.erase(it) : std::next(it);
  }
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

std::vector<std::string> cluster_state::groups() const {
  std::vector<std::string> out;
  out.reserve(groups_.size());
  for (const auto& [name, g] : groups_) out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> cluster_state::groups_of_topic(std::string_view topic) const {
  std::vector<std::string> out;
  for (const auto& [name, g] : groups_)
    if (g.topics.find(topic) != g.topics.end()) out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

bool cluster_state::has_group(std::string_view group) const { return groups_.find(group) != groups_.end(); }

std::size_t cluster_state::group_count() const { return groups_.size(); }

std::size_t cluster_state::tracked_partitions() const {
  std::size_t n = 0;
  for (const auto& [name, g] : groups_)
    for (const auto& [topic, slots] : g.topics)
      for (const auto& s : slots) n += s.ring.allocated() ? 1 : 0;
  return n;
}

bool cluster_state::view_group(std::string_view group, timestamp_ms now, group_view& out) const {
  out.clear();
  auto it = groups_.find(group);
  if (it == groups_.end()) return false;
  const auto& g = it->second;
  if (expire_threshold(now) > g.last_commit) return false;  // Burrow's lazy expiry (answered as not found)
  out.last_commit = g.last_commit;
  const auto n = static_cast<std::size_t>(options_.intervals);
  for (const auto& [topic, slots] : g.topics) {
    const auto topic_index = static_cast<std::uint32_t>(out.topics.size());
    out.topics.push_back(topic);
    auto b = broker_.find(topic);
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
