#pragma once
// Hand-made __consumer_offsets records for tests that write them into an ordinary topic, which
// Warren then reads through `offsets-topic`.
#include <cstdint>
#include <string>

#include "tests/support/offsets_encode.hpp"
#include "tests/support/test_clients.hpp"

namespace warren::test {

/// Encoded bytes as a std::string (raw_producer's payload type).
std::string to_bytes(const offsets::byte_buffer& b);
/// An encoded record as raw_producer input (no value = tombstone).
raw_record to_raw(const offsets::encoded_record& e);
/// An offset commit as Kafka 2.1+ writes it: key v1, value v3, leader epoch 0.
raw_record commit_record(const std::string& group, const std::string& topic, int partition, std::int64_t offset,
                         std::int64_t timestamp_ms);

}  // namespace warren::test
