#pragma once
// topic_consumer: a librdkafka consumer of one topic that commits nothing. Two ways to get
// partitions: assign() chosen ones (group-less: it joins no group), or, with a group_membership
// (issue 14), subscribe() to the topic as a member of that consumer group (cooperative-sticky) and
// take the partitions the group gives it. Message batches and rebalances are drained without
// blocking through poll_batch(); the queue to wake on is exposed for queue_waker. Used on the io
// thread except where noted.
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

/// Issue 14: one rebalance of a group member, as librdkafka announced it.
struct rebalance {
  bool assigned = false;  ///< true: these partitions were added; false: revoked (or lost)
  bool lost = false;      ///< revoked because the membership was lost (session timed out, fenced)
  std::vector<std::int32_t> partitions;
};

/// A consumer-level event (not a record): broker down, transport error, rebalance, ...
struct consumer_event {
  int code = 0;  ///< rd_kafka_resp_err_t
  std::string message;
  bool all_brokers_down = false;
  bool topic_authorization_failed = false;  ///< TOPIC_AUTHORIZATION_FAILED: this client may not read the topic
  std::optional<kafka::rebalance> rebalance;  ///< issue 14: a group member's assignment changed
};

/// Issue 14: the consumer joins this group (subscribe) instead of being assigned partitions.
struct group_membership {
  std::string group;  ///< group.id
  int session_timeout_ms = 10000;
};

class topic_consumer {
 public:
  /// Creates the client (no blocking). Throws std::runtime_error with librdkafka's message.
  topic_consumer(const client_settings& settings, std::string topic, std::optional<group_membership> group = {});
  ~topic_consumer();  ///< releases messages; the handle must have been closed via close()
  topic_consumer(const topic_consumer&) = delete;
  topic_consumer& operator=(const topic_consumer&) = delete;

  rd_kafka_s* raw() const { return rk_.get(); }
  /// The queue to hand to queue_waker.
  rd_kafka_queue_s* wake_queue() const { return queue_.get(); }
  bool in_group() const { return group_.has_value(); }

  /// Group-less: starts fetching `partitions` at `starts` (-2 = beginning, -1 = end, or an offset
  /// per partition). Non-blocking.
  void assign(const std::vector<std::int32_t>& partitions, const std::vector<std::int64_t>& starts);

  /// Group member: joins the group on the topic. Waits for librdkafka's main thread (not for the
  /// network): call through blocking_pool. Rebalances then arrive as consumer_event::rebalance from
  /// poll_batch(); each must be answered by incremental_assign() or incremental_unassign() with its
  /// partitions (librdkafka holds the rebalance until then). Returns librdkafka's error text, or "".
  std::string subscribe();
  /// Group member: starts fetching the added `partitions` at `starts` (as assign()). Waits for
  /// librdkafka's main thread: call through blocking_pool. Returns librdkafka's error text, or "".
  std::string incremental_assign(const std::vector<std::int32_t>& partitions, const std::vector<std::int64_t>& starts);
  /// Group member: stops fetching the revoked `partitions`. As incremental_assign().
  std::string incremental_unassign(const std::vector<std::int32_t>& partitions);

  /// Drains up to `max` ready items without blocking. Records go to `records`, events (errors,
  /// rebalances, in the order served) to `events`. Returns the number of items taken from the
  /// queue (0 = queue empty). A batch may hold records of a partition revoked in the same batch.
  std::size_t poll_batch(std::size_t max, std::vector<fetched>& records, std::vector<consumer_event>& events);
  /// Releases the messages of the last batch (called automatically by poll_batch).
  void release();

  /// Next offset to fetch per assigned partition (local, non-blocking); -1 when unknown.
  std::vector<std::int64_t> positions(const std::vector<std::int32_t>& partitions) const;

  /// Blocking: leaves cleanly (a group member gives its partitions back) and destroys the client.
  /// Call through blocking_pool, after the io thread stopped polling.
  void close();

 private:
  friend struct rebalance_trampoline;  // librdkafka's rebalance callback (consumer.cpp)

  std::string topic_;
  std::optional<group_membership> group_;
  handle rk_;
  queue queue_;
  std::vector<rd_kafka_message_s*> batch_;
  std::vector<consumer_event>* events_ = nullptr;  // poll_batch's output while it runs (io thread)
  bool closing_ = false;  // close() runs: rebalances are answered by the callback itself
};

}  // namespace warren::kafka
