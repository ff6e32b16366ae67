#include "tests/support/offsets_records.hpp"

namespace warren::test {

std::string to_bytes(const offsets::byte_buffer& b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

raw_record to_raw(const offsets::encoded_record& e) {
  return raw_record{to_bytes(e.key), e.value ? std::optional<std::string>(to_bytes(*e.value)) : std::nullopt};
}

raw_record commit_record(const std::string& group, const std::string& topic, int partition, std::int64_t offset,
                         std::int64_t timestamp_ms) {
  offsets::offset_commit c;
  c.group = group;
  c.topic = topic;
  c.partition = partition;
  c.offset = offset;
  c.leader_epoch = 0;
  c.commit_timestamp = timestamp_ms;
  c.key_version = offsets::key_offset_commit;
  c.value_version = 3;
  return to_raw(offsets::encode(c));
}

}  // namespace warren::test
