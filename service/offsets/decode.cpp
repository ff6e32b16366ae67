#include "service/offsets/decode.hpp"

#include <bit>
#include <cstring>
#include <limits>
#include <new>
#include <type_traits>
#include <utility>

// Layouts follow Kafka's message specs (group-coordinator/src/main/resources/common/message/
// OffsetCommitKey/Value, GroupMetadataKey/Value, clients/.../ConsumerProtocolAssignment); see
// proto/kafka/consumer_offsets.md for the tables and the reasons behind each choice below.

namespace warren::offsets {
namespace {

template <class T>
T load_be(const std::byte* p) noexcept {
  using u = std::make_unsigned_t<T>;
  u v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::little) {
    if constexpr (sizeof(u) == 2) {
      v = static_cast<u>(__builtin_bswap16(v));
    } else if constexpr (sizeof(u) == 4) {
      v = __builtin_bswap32(v);
    } else {
      v = __builtin_bswap64(v);
    }
  }
  return static_cast<T>(v);
}

// Kafka's generated readers reject strings longer than this, compact ones included.
constexpr std::uint32_t max_string_length = 0x7fff;

// A bounds-checked reader over one buffer. Every read checks the bytes left before touching
// them; on failure it records the first reason and the position of the field that failed, and
// returns false so callers can chain reads with &&.
class cursor {
 public:
  explicit cursor(std::span<const std::byte> bytes) noexcept
      : begin_(bytes.data()), p_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  [[nodiscard]] std::size_t left() const noexcept { return static_cast<std::size_t>(end_ - p_); }
  [[nodiscard]] std::size_t position() const noexcept { return static_cast<std::size_t>(p_ - begin_); }
  [[nodiscard]] error_reason reason() const noexcept { return reason_; }
  [[nodiscard]] std::size_t fail_position() const noexcept { return fail_position_; }

  bool fail(error_reason r) noexcept { return fail_at(r, position()); }
  bool fail_at(error_reason r, std::size_t pos) noexcept {
    if (!failed_) {
      failed_ = true;
      reason_ = r;
      fail_position_ = pos;
    }
    return false;
  }

  template <class T>
  bool fixed(T& out) noexcept {
    if (left() < sizeof(T)) return fail(error_reason::truncated);
    out = load_be<T>(p_);
    p_ += sizeof(T);
    return true;
  }

  // Unsigned varint (Kafka's readUnsignedVarint): at most 5 bytes; the 5th may carry only the
  // top 4 bits of a 32-bit value.
  bool uvarint(std::uint32_t& out) noexcept {
    const std::byte* q = p_;
    std::uint32_t v = 0;
    for (int i = 0; i < 5; ++i) {
      if (q == end_) return fail(error_reason::truncated);
      const auto b = std::to_integer<std::uint32_t>(*q++);
      if (i == 4 && b > 0x0f) return fail(error_reason::bad_varint);
      v |= (b & 0x7fU) << (7 * i);
      if ((b & 0x80U) == 0) {
        p_ = q;
        out = v;
        return true;
      }
    }
    return fail(error_reason::bad_varint);  // unreachable: the 5th byte check stops first
  }

  // --- classic (non-flexible) encodings -------------------------------------------------------

  // int16 length + bytes; -1 = null. `nullable` says whether null is allowed.
  bool string(std::optional<std::string_view>& out, bool nullable) noexcept {
    const std::size_t at = position();
    std::int16_t n = 0;
    if (!fixed(n)) return false;
    if (n == -1) {
      if (!nullable) return fail_at(error_reason::unexpected_null, at);
      out.reset();
      return true;
    }
    if (n < -1) return fail_at(error_reason::negative_length, at);
    return take_string(static_cast<std::size_t>(n), out, at);
  }

  // int32 length + bytes; -1 = null.
  bool bytes(std::optional<std::span<const std::byte>>& out, bool nullable) noexcept {
    const std::size_t at = position();
    std::int32_t n = 0;
    if (!fixed(n)) return false;
    if (n == -1) {
      if (!nullable) return fail_at(error_reason::unexpected_null, at);
      out.reset();
      return true;
    }
    if (n < -1) return fail_at(error_reason::negative_length, at);
    return take_bytes(static_cast<std::size_t>(n), out, at);
  }

  // int32 element count; null arrays are never written in these records. `min_element` is the
  // smallest encoded element, so a count the remaining bytes cannot hold fails before anything
  // is reserved.
  bool array(std::size_t& count, std::size_t min_element) noexcept {
    const std::size_t at = position();
    std::int32_t n = 0;
    if (!fixed(n)) return false;
    if (n == -1) return fail_at(error_reason::unexpected_null, at);
    if (n < -1) return fail_at(error_reason::negative_length, at);
    return check_count(static_cast<std::size_t>(n), min_element, count, at);
  }

  // --- flexible (compact) encodings: unsigned varint N+1, 0 = null -----------------------------

  bool compact_string(std::optional<std::string_view>& out, bool nullable) noexcept {
    const std::size_t at = position();
    std::uint32_t n = 0;
    if (!uvarint(n)) return false;
    if (n == 0) {
      if (!nullable) return fail_at(error_reason::unexpected_null, at);
      out.reset();
      return true;
    }
    return take_string(n - 1, out, at);
  }

  bool compact_bytes(std::optional<std::span<const std::byte>>& out, bool nullable) noexcept {
    const std::size_t at = position();
    std::uint32_t n = 0;
    if (!uvarint(n)) return false;
    if (n == 0) {
      if (!nullable) return fail_at(error_reason::unexpected_null, at);
      out.reset();
      return true;
    }
    return take_bytes(n - 1, out, at);
  }

  bool compact_array(std::size_t& count, std::size_t min_element) noexcept {
    const std::size_t at = position();
    std::uint32_t n = 0;
    if (!uvarint(n)) return false;
    if (n == 0) return fail_at(error_reason::unexpected_null, at);
    return check_count(n - 1, min_element, count, at);
  }

  // Tagged-field section: varint count, then per field varint tag, varint size, size bytes.
  // None of the versions decoded here defines a tagged field, so every field is skipped (as
  // Kafka keeps unknown tagged fields opaque). Kafka's reader does not require ascending tags;
  // neither do we.
  bool tagged_fields() noexcept {
    const std::size_t at = position();
    std::uint32_t n = 0;
    if (!uvarint(n)) return false;
    if (n > left() / 2) return fail_at(error_reason::length_too_large, at);  // >= 2 bytes each
    for (std::uint32_t i = 0; i < n; ++i) {
      std::uint32_t tag = 0;
      std::uint32_t size = 0;
      if (!uvarint(tag)) return false;
      const std::size_t size_at = position();
      if (!uvarint(size)) return false;
      if (size > left()) return fail_at(error_reason::length_too_large, size_at);
      p_ += size;
    }
    return true;
  }

  // Convenience wrappers choosing the encoding by flexibility.
  // Non-nullable string: the hot path of offset commits, kept free of std::optional.
  bool str(bool flexible, std::string_view& out) noexcept {
    const std::size_t at = position();
    std::size_t n = 0;
    if (flexible) {
      std::uint32_t v = 0;
      if (!uvarint(v)) return false;
      if (v == 0) return fail_at(error_reason::unexpected_null, at);
      n = v - 1;
    } else {
      std::int16_t v = 0;
      if (!fixed(v)) return false;
      if (v == -1) return fail_at(error_reason::unexpected_null, at);
      if (v < -1) return fail_at(error_reason::negative_length, at);
      n = static_cast<std::size_t>(v);
    }
    if (n > max_string_length || n > left()) return fail_at(error_reason::length_too_large, at);
    out = std::string_view(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return true;
  }
  bool nullable_str(bool flexible, std::optional<std::string_view>& out) noexcept {
    return flexible ? compact_string(out, true) : string(out, true);
  }
  bool blob(bool flexible, std::span<const std::byte>& out) noexcept {
    std::optional<std::span<const std::byte>> b;
    if (!(flexible ? compact_bytes(b, false) : bytes(b, false))) return false;
    out = *b;
    return true;
  }
  bool arr(bool flexible, std::size_t& count, std::size_t min_element) noexcept {
    return flexible ? compact_array(count, min_element) : array(count, min_element);
  }

 private:
  bool take_string(std::size_t n, std::optional<std::string_view>& out, std::size_t at) noexcept {
    if (n > max_string_length || n > left()) return fail_at(error_reason::length_too_large, at);
    out.emplace(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return true;
  }
  bool take_bytes(std::size_t n, std::optional<std::span<const std::byte>>& out,
                  std::size_t at) noexcept {
    if (n > left()) return fail_at(error_reason::length_too_large, at);
    out.emplace(p_, n);
    p_ += n;
    return true;
  }
  bool check_count(std::size_t n, std::size_t min_element, std::size_t& count,
                   std::size_t at) noexcept {
    if (n > left() / min_element) return fail_at(error_reason::length_too_large, at);
    count = n;
    return true;
  }

  const std::byte* begin_;
  const std::byte* p_;
  const std::byte* end_;
  bool failed_ = false;
  error_reason reason_ = error_reason::truncated;
  std::size_t fail_position_ = 0;
};

decode_error error_from(const cursor& c, record_part part, std::int16_t key_version,
                        std::int16_t value_version) noexcept {
  return decode_error{c.reason(), part, c.fail_position(), key_version, value_version};
}

// --- offset commit --------------------------------------------------------------------------

decoded decode_offset_value(offset_commit oc, std::span<const std::byte> value) noexcept {
  cursor v(value);
  std::int16_t ver = 0;
  if (!v.fixed(ver)) return error_from(v, record_part::value, oc.key_version, -1);
  // KIP-915: Kafka does not bump this record's version any more (new fields are tagged), and
  // its own reader rejects versions it does not know: so do we.
  if (ver < 0 || ver > offset_commit_value_max_version) {
    return decode_error{error_reason::unknown_value_version, record_part::value, 0, oc.key_version, ver};
  }
  oc.value_version = ver;
  const bool flexible = ver >= 4;
  bool ok = v.fixed(oc.offset);
  if (ok && ver >= 3) ok = v.fixed(oc.leader_epoch);
  if (ok) ok = v.str(flexible, oc.metadata);
  if (ok) ok = v.fixed(oc.commit_timestamp);
  if (ok && ver == 1) ok = v.fixed(oc.expire_timestamp);
  if (ok && flexible) ok = v.tagged_fields();
  if (ok && v.left() != 0) ok = v.fail(error_reason::trailing_bytes);
  if (!ok) return error_from(v, record_part::value, oc.key_version, ver);
  return oc;
}

// --- group metadata -------------------------------------------------------------------------

// Smallest encoded MemberMetadata: three empty strings, session timeout, two empty byte arrays
// (classic: 2+2+2+4+4+4; flexible: 1+1+1+4+1+1 plus one tagged-field count byte).
constexpr std::size_t min_member_classic = 18;
constexpr std::size_t min_member_flexible = 10;
constexpr std::size_t min_topic_assignment = 6;  // empty string + empty int32 array

decoded decode_group_value(std::string_view group, std::span<const std::byte> value) {
  cursor v(value);
  std::int16_t ver = 0;
  if (!v.fixed(ver)) return error_from(v, record_part::value, key_group_metadata, -1);
  if (ver < 0 || ver > group_metadata_value_max_version) {
    return decode_error{error_reason::unknown_value_version, record_part::value, 0, key_group_metadata, ver};
  }
  const bool flexible = ver >= 4;
  group_metadata g;
  g.group = group;
  g.value_version = ver;
  std::size_t count = 0;
  bool ok = v.str(flexible, g.protocol_type) && v.fixed(g.generation) &&
            v.nullable_str(flexible, g.protocol) && v.nullable_str(flexible, g.leader);
  if (ok && ver >= 2) ok = v.fixed(g.current_state_timestamp);
  if (ok) ok = v.arr(flexible, count, flexible ? min_member_flexible : min_member_classic);
  if (!ok) return error_from(v, record_part::value, key_group_metadata, ver);

  g.members.reserve(count);
  std::vector<std::size_t> assignment_at;  // where each member's assignment field starts
  assignment_at.reserve(count);
  for (std::size_t i = 0; i < count && ok; ++i) {
    member& m = g.members.emplace_back();
    ok = v.str(flexible, m.member_id);
    if (ok && ver >= 3) ok = v.nullable_str(flexible, m.group_instance_id);
    if (ok) ok = v.str(flexible, m.client_id) && v.str(flexible, m.client_host);
    if (ok && ver >= 1) ok = v.fixed(m.rebalance_timeout);
    if (ok) ok = v.fixed(m.session_timeout) && v.blob(flexible, m.subscription);
    assignment_at.push_back(v.position());
    if (ok) ok = v.blob(flexible, m.assignment_bytes);
    if (ok && flexible) ok = v.tagged_fields();
  }
  if (ok && flexible) ok = v.tagged_fields();
  if (ok && v.left() != 0) ok = v.fail(error_reason::trailing_bytes);
  if (!ok) return error_from(v, record_part::value, key_group_metadata, ver);

  // Only the "consumer" embedded protocol has a known assignment format. Other protocol types
  // (connect, streams' own, custom) keep their raw bytes and an empty decoded assignment.
  if (g.protocol_type == "consumer") {
    for (std::size_t i = 0; i < g.members.size(); ++i) {
      member& m = g.members[i];
      if (m.assignment_bytes.empty()) continue;  // written while a rebalance is in progress
      const auto av = decode_assignment(m.assignment_bytes, m.assignment, m.user_data);
      if (!av) {
        return decode_error{error_reason::bad_assignment, record_part::value, assignment_at[i],
                            key_group_metadata, ver};
      }
      m.assignment_version = *av;
    }
  }
  return g;  // implicitly moved (C++20, P1825)
}

}  // namespace

std::optional<std::int16_t> decode_assignment(std::span<const std::byte> bytes,
                                              std::vector<topic_assignment>& out,
                                              std::optional<std::span<const std::byte>>& user_data) {
  out.clear();
  user_data.reset();
  cursor c(bytes);
  std::int16_t ver = 0;
  std::size_t topics = 0;
  if (!c.fixed(ver) || ver < 0 || !c.array(topics, min_topic_assignment)) return std::nullopt;
  out.reserve(topics);
  for (std::size_t i = 0; i < topics; ++i) {
    topic_assignment& t = out.emplace_back();
    std::size_t partitions = 0;
    if (!c.str(false, t.topic) || !c.array(partitions, 4)) return std::nullopt;
    t.partitions.resize(partitions);
    for (auto& p : t.partitions) {
      if (!c.fixed(p)) return std::nullopt;
    }
  }
  if (!c.bytes(user_data, true)) return std::nullopt;
  // The consumer protocol reads a newer version with the newest layout it knows and ignores
  // what follows; for the versions we know, extra bytes mean corruption.
  if (ver <= assignment_max_version && c.left() != 0) return std::nullopt;
  return ver;
}

decoded decode(std::span<const std::byte> key,
               std::optional<std::span<const std::byte>> value) noexcept {
  cursor k(key);
  std::int16_t kv = 0;
  if (!k.fixed(kv)) return error_from(k, record_part::key, -1, -1);

  if (kv == key_offset_commit_legacy || kv == key_offset_commit) {
    offset_commit oc;
    oc.key_version = kv;
    bool ok = k.str(false, oc.group) && k.str(false, oc.topic) && k.fixed(oc.partition);
    if (ok && k.left() != 0) ok = k.fail(error_reason::trailing_bytes);
    if (!ok) return error_from(k, record_part::key, kv, -1);
    if (!value) return offset_tombstone{oc.group, oc.topic, oc.partition, kv};
    return decode_offset_value(oc, *value);
  }

  if (kv == key_group_metadata) {
    std::string_view group;
    bool ok = k.str(false, group);
    if (ok && k.left() != 0) ok = k.fail(error_reason::trailing_bytes);
    if (!ok) return error_from(k, record_part::key, kv, -1);
    if (!value) return group_tombstone{group};
    try {
      return decode_group_value(group, *value);
    } catch (const std::bad_alloc&) {
      return decode_error{error_reason::allocation_failed, record_part::value, 0, kv, -1};
    }
  }

  if (kv >= key_other_first && kv <= key_other_last) {
    // Every one of these keys starts with the group id; the rest is not validated.
    other_record r{kv, {}, !value.has_value()};
    std::string_view group;
    if (k.str(false, group)) r.group = group;
    return r;
  }

  return decode_error{error_reason::unknown_key_version, record_part::key, 0, kv, -1};
}

}  // namespace warren::offsets
