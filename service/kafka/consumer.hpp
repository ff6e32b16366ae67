#pragma once
// assign_consumer: a group-less librdkafka consumer that reads chosen partitions of one topic
// (assign, never subscribe: it joins no group and commits nothing). Message batches are drained
// without blocking; the queue to wake on is exposed for queue_waker. Used on the io thread except
// where noted.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "service/kafka/client.hpp"

struct rd_kafka_message_s;

namespace warren::kafka {

/// One fetched record, valid until the next poll_batch() or release().
struct fetched {
  std::span<const std::byte> key;
  std::optional<std::span<const std::byte>> value;  ///< nullopt = null value (tombstone)
  std::int32_t partition = 0;
  std::int64_t offset = 0;
};

/// A consumer-level event (not a record): broker down, transport error, ...
struct consumer_event {
  int code = 0;  ///< rd_kafka_resp_err_t
  std::string message;
  bool all_brokers_down = false;
  bool topic_authorization_failed = false;  ///< TOPIC_AUTHORIZATION_FAILED: this client may not read the topic
};

class assign_consumer {
 public:
  /// Creates the client (no blocking). Throws std::runtime_error with librdkafka's message.
  assign_consumer(const client_settings& settings, std::string topic);
  ~assign_consumer();  ///< releases messages; the handle must have been closed via close()
  assign_consumer(const assign_consumer&) = delete;
  assign_consumer& operator=(const assign_consumer&) = delete;

  rd_kafka_s* raw() const { return rk_.get(); }
  /// The queue to hand to queue_waker.
  rd_kafka_queue_s* wake_queue() const { return queue_.get(); }

  /// Starts fetching `partitions` at `start` (-2 = beginning, -1 = end, or an offset per
  /// partition via `starts`). Non-blocking.
  void assign(const std::vector<std::int32_t>& partitions, const std::vector<std::int64_t>& starts);

  /// Drains up to `max` ready items without blocking. Records go to `records`, events to `events`.
  /// Returns the number of items taken from the queue (0 = queue empty).
  std::size_t poll_batch(std::size_t max, std::vector<fetched>& records, std::vector<consumer_event>& events);
  /// Releases the messages of the last batch (called automatically by poll_batch).
  void release();

  /// Next offset to fetch per assigned partition (local, non-blocking); -1 when unknown.
  std::vector<std::int64_t> positions(const std::vector<std::int32_t>& partitions) const;

  /// Blocking: leaves cleanly and destroys the client. Call through blocking_pool.
  void close();

 private:
  std::string topic_;
  handle rk_;
  queue queue_;
  std::vector<rd_kafka_message_s*> batch_;
};

}  // namespace warren::kafka
