#include "service/storage/sample_ring.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>

namespace warren {
namespace detail {
namespace {

// Block layout: ring_header, then `capacity` samples, compact (20 bytes) or wide (40 bytes).
// Everything is read and written through memcpy at fixed field offsets, so the block is plain bytes
// and compact samples need no padding.
struct ring_header {
  std::int64_t time_base = 0;    // compact: timestamp and observed_at are unsigned deltas from it
  std::int64_t order_base = 0;   // compact: order is an unsigned delta from it
  std::int64_t offset_base = 0;  // compact: offset is an unsigned delta from it
  std::uint16_t capacity = 0;
  std::uint16_t head = 0;  // physical slot of the oldest sample
  std::uint16_t count = 0;
  std::uint8_t wide = 0;
  std::uint8_t reserved = 0;
};
static_assert(sizeof(ring_header) == 32);

// compact: offset−offset_base u32 | lag u32 (no_lag32 = null) | order−order_base u32 |
//          timestamp−time_base u32 | observed_at−time_base u32
constexpr std::size_t compact_stride = 20;
// wide:    offset i64 | lag u64 | order i64 | timestamp i64 | observed_at i64
constexpr std::size_t wide_stride = 40;

// A stored lag of 2^64−1 is clamped to 2^64−2 so that the sentinel stays free (only reachable with
// offsets at opposite ends of the int64 range).
constexpr std::uint64_t no_lag = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t delta_max = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint32_t no_lag32 = std::numeric_limits<std::uint32_t>::max();  // compact: a lag below it fits

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
    const auto lag = load<std::uint32_t>(p + 4);
    out = {add(h.offset_base, load<std::uint32_t>(p)), add(h.order_base, load<std::uint32_t>(p + 8)),
           add(h.time_base, load<std::uint32_t>(p + 12)), add(h.time_base, load<std::uint32_t>(p + 16)),
           lag == no_lag32 ? std::nullopt : std::optional<std::uint64_t>(lag)};
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
  return within(s.timestamp, h.time_base) && within(s.observed_at, h.time_base) && within(s.order, h.order_base) &&
         within(s.offset, h.offset_base) && (!s.lag || *s.lag < no_lag32);
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
    store(p, static_cast<std::uint32_t>(distance(s.offset, h.offset_base)));
    store(p + 4, s.lag ? static_cast<std::uint32_t>(*s.lag) : no_lag32);
    store(p + 8, static_cast<std::uint32_t>(distance(s.order, h.order_base)));
    store(p + 12, static_cast<std::uint32_t>(distance(s.timestamp, h.time_base)));
    store(p + 16, static_cast<std::uint32_t>(distance(s.observed_at, h.time_base)));
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
  std::int64_t offset_lo = std::numeric_limits<std::int64_t>::max();
  std::int64_t offset_hi = std::numeric_limits<std::int64_t>::min();
  bool big_lag = false;
  for (const auto& s : v) {
    offset_lo = std::min(offset_lo, s.offset);
    offset_hi = std::max(offset_hi, s.offset);
    big_lag |= s.lag && *s.lag >= no_lag32;
    lo = std::min({lo, s.timestamp, s.observed_at});
    hi = std::max({hi, s.timestamp, s.observed_at});
    order_lo = std::min(order_lo, s.order);
    order_hi = std::max(order_hi, s.order);
  }
  const bool wide = !v.empty() && (distance(hi, lo) > delta_max || distance(order_hi, order_lo) > delta_max ||
                                   distance(offset_hi, offset_lo) > delta_max || big_lag);
  if (wide != (h.wide != 0)) {
    auto* other = static_cast<std::byte*>(::operator new(block_size(h.capacity, wide)));
    ::operator delete(block_);
    block_ = other;
  }
  h.wide = wide ? 1 : 0;
  h.time_base = v.empty() ? 0 : lo;
  h.order_base = v.empty() ? 0 : order_lo;
  h.offset_base = v.empty() ? 0 : offset_lo;
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

}  // namespace detail
}  // namespace warren
