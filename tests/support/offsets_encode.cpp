#include "tests/support/offsets_encode.hpp"

#include <stdexcept>
#include <string>
#include <type_traits>

namespace warren::offsets {
namespace {

// Appends Kafka wire encodings to a buffer. Classic strings/bytes/arrays use int16/int32
// lengths (-1 = null); flexible ones use an unsigned varint of length + 1 (0 = null).
class writer {
 public:
  explicit writer(byte_buffer& out) : out_(out) {}

  template <class T>
  void fixed(T v) {
    using u = std::make_unsigned_t<T>;
    const auto x = static_cast<u>(v);
    for (int shift = static_cast<int>(sizeof(T) - 1) * 8; shift >= 0; shift -= 8) {
      out_.push_back(static_cast<std::byte>((x >> shift) & 0xffU));
    }
  }

  void uvarint(std::uint32_t v) {
    while (v >= 0x80U) {
      out_.push_back(static_cast<std::byte>((v & 0x7fU) | 0x80U));
      v >>= 7;
    }
    out_.push_back(static_cast<std::byte>(v));
  }

  void raw(std::span<const std::byte> b) { out_.insert(out_.end(), b.begin(), b.end()); }

  void str(bool flexible, std::optional<std::string_view> s) {
    if (s && s->size() > 0x7fff) throw std::invalid_argument("offsets encode: string longer than 32767 bytes");
    if (!s) {
      if (flexible) {
        uvarint(0);
      } else {
        fixed<std::int16_t>(-1);
      }
      return;
    }
    if (flexible) {
      uvarint(static_cast<std::uint32_t>(s->size() + 1));
    } else {
      fixed(static_cast<std::int16_t>(s->size()));
    }
    raw(std::as_bytes(std::span(s->data(), s->size())));
  }

  void bytes(bool flexible, std::optional<std::span<const std::byte>> b) {
    if (!b) {
      if (flexible) {
        uvarint(0);
      } else {
        fixed<std::int32_t>(-1);
      }
      return;
    }
    if (b->size() > 0x7ffffffe) throw std::invalid_argument("offsets encode: bytes too long");
    if (flexible) {
      uvarint(static_cast<std::uint32_t>(b->size() + 1));
    } else {
      fixed(static_cast<std::int32_t>(b->size()));
    }
    raw(*b);
  }

  void array_len(bool flexible, std::size_t n) {
    if (n > 0x7ffffffe) throw std::invalid_argument("offsets encode: array too long");
    if (flexible) {
      uvarint(static_cast<std::uint32_t>(n + 1));
    } else {
      fixed(static_cast<std::int32_t>(n));
    }
  }

  void empty_tagged_fields() { uvarint(0); }

 private:
  byte_buffer& out_;
};

void check_version(std::int16_t v, std::int16_t max, const char* what) {
  if (v < 0 || v > max) {
    throw std::invalid_argument(std::string("offsets encode: unsupported ") + what + " version " +
                                std::to_string(v));
  }
}

}  // namespace

byte_buffer encode_offset_commit_key(std::string_view group, std::string_view topic,
                                     std::int32_t partition, std::int16_t key_version) {
  if (key_version != key_offset_commit_legacy && key_version != key_offset_commit) {
    throw std::invalid_argument("offsets encode: offset-commit key version must be 0 or 1");
  }
  byte_buffer out;
  out.reserve(2 + 2 + group.size() + 2 + topic.size() + 4);
  writer w(out);
  w.fixed(key_version);
  w.str(false, group);
  w.str(false, topic);
  w.fixed(partition);
  return out;
}

byte_buffer encode_offset_commit_value(const offset_commit& c) {
  const std::int16_t ver = c.value_version;
  check_version(ver, offset_commit_value_max_version, "offset-commit value");
  const bool flexible = ver >= 4;
  byte_buffer out;
  out.reserve(2 + 8 + 4 + 2 + c.metadata.size() + 8 + 8 + 1);
  writer w(out);
  w.fixed(ver);
  w.fixed(c.offset);
  if (ver >= 3) w.fixed(c.leader_epoch);
  w.str(flexible, c.metadata);
  w.fixed(c.commit_timestamp);
  if (ver == 1) w.fixed(c.expire_timestamp);
  if (flexible) w.empty_tagged_fields();
  return out;
}

byte_buffer encode_group_metadata_key(std::string_view group) {
  byte_buffer out;
  writer w(out);
  w.fixed(key_group_metadata);
  w.str(false, group);
  return out;
}

byte_buffer encode_assignment(std::int16_t version, std::span<const topic_assignment> topics,
                              std::optional<std::span<const std::byte>> user_data) {
  if (version < 0) throw std::invalid_argument("offsets encode: negative assignment version");
  byte_buffer out;
  writer w(out);
  w.fixed(version);
  w.array_len(false, topics.size());
  for (const auto& t : topics) {
    w.str(false, t.topic);
    w.array_len(false, t.partitions.size());
    for (auto p : t.partitions) w.fixed(p);
  }
  w.bytes(false, user_data);
  return out;
}

byte_buffer encode_group_metadata_value(const group_metadata& g) {
  const std::int16_t ver = g.value_version;
  check_version(ver, group_metadata_value_max_version, "group-metadata value");
  const bool flexible = ver >= 4;
  byte_buffer out;
  writer w(out);
  w.fixed(ver);
  w.str(flexible, g.protocol_type);
  w.fixed(g.generation);
  w.str(flexible, g.protocol);
  w.str(flexible, g.leader);
  if (ver >= 2) w.fixed(g.current_state_timestamp);
  w.array_len(flexible, g.members.size());
  for (const member& m : g.members) {
    w.str(flexible, m.member_id);
    if (ver >= 3) w.str(flexible, m.group_instance_id);
    w.str(flexible, m.client_id);
    w.str(flexible, m.client_host);
    if (ver >= 1) w.fixed(m.rebalance_timeout);
    w.fixed(m.session_timeout);
    w.bytes(flexible, m.subscription);
    if (m.assignment_version >= 0) {
      const byte_buffer a = encode_assignment(m.assignment_version, m.assignment, m.user_data);
      w.bytes(flexible, std::span<const std::byte>(a));
    } else {
      w.bytes(flexible, m.assignment_bytes);
    }
    if (flexible) w.empty_tagged_fields();
  }
  if (flexible) w.empty_tagged_fields();
  return out;
}

encoded_record encode(const offset_commit& c) {
  return {encode_offset_commit_key(c.group, c.topic, c.partition, c.key_version),
          encode_offset_commit_value(c)};
}

encoded_record encode(const offset_tombstone& t) {
  return {encode_offset_commit_key(t.group, t.topic, t.partition, t.key_version), std::nullopt};
}

encoded_record encode(const group_metadata& g) {
  return {encode_group_metadata_key(g.group), encode_group_metadata_value(g)};
}

encoded_record encode(const group_tombstone& t) {
  return {encode_group_metadata_key(t.group), std::nullopt};
}

}  // namespace warren::offsets
