#pragma once
// Small Kafka clients for tests: producers that wait for delivery, a reader without a group, a real
// consumer-group member on its own thread, admin queries (librdkafka) and group commands (Kafka's
// Java ConsumerGroupCommand through kafka_cluster::run_tool).
//
// Test code: every call blocks the calling thread until done or until its deadline, and failures
// are thrown as std::runtime_error. consumer_member is safe to query from any thread.

#include <atomic>
#include <chrono>
#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/kafka_harness.hpp"

namespace warren::test {

struct topic_partition {
  std::string topic;
  int partition = 0;
  auto operator<=>(const topic_partition&) const = default;
};

// One record as written or read. A missing value is a tombstone (null value); a missing key is a
// null key. Both are arbitrary bytes.
struct raw_record {
  std::optional<std::string> key;
  std::optional<std::string> value;
};

struct fetched_record {
  std::int64_t offset = -1;
  std::optional<std::string> key;
  std::optional<std::string> value;
};

// Writes records with exact key and value bytes to one partition and waits for each batch to be
// acknowledged (acks=all, idempotence off, no compression): for hand-made __consumer_offsets-format
// records in an ordinary topic.
class raw_producer {
 public:
  explicit raw_producer(const std::string& bootstrap);
  raw_producer(const raw_producer&) = delete;
  raw_producer& operator=(const raw_producer&) = delete;
  ~raw_producer();

  // Returns the offset the record was written at.
  std::int64_t send(const std::string& topic, int partition, const raw_record& record,
                    std::chrono::milliseconds deadline = 30s);
  // Returns the offsets, in order.
  std::vector<std::int64_t> send(const std::string& topic, int partition, const std::vector<raw_record>& records,
                                 std::chrono::milliseconds deadline = 30s);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// Produces plain messages ("<prefix>-<n>", null key) to one partition and flushes.
class producer {
 public:
  explicit producer(const std::string& bootstrap);
  // Produces `count` messages and waits until all are acknowledged; returns the offset of the last
  // one (-1 when count is 0).
  std::int64_t produce(const std::string& topic, int partition, int count, const std::string& prefix = "msg",
                       std::chrono::milliseconds deadline = 30s);

 private:
  raw_producer raw_;
  std::int64_t sequence_ = 0;
};

// Reads `count` records of one partition starting at `from_offset`, without a consumer group
// (assign, no commits). Throws if fewer arrive before the deadline.
std::vector<fetched_record> read_records(const std::string& bootstrap, const std::string& topic, int partition,
                                         std::int64_t from_offset, std::size_t count,
                                         std::chrono::milliseconds deadline = 30s);

struct consumer_member_options {
  std::string group;
  std::vector<std::string> topics;
  std::string client_id = "warren-test-member";
  bool commit = true;                                // false: consume but never commit
  std::optional<std::int64_t> fixed_commit_offset;   // commit this on every assigned partition, not progress
  std::chrono::milliseconds message_delay{0};        // pause after each message: a slow consumer
  std::chrono::milliseconds commit_interval{500};    // commits repeat at this interval, even without progress
  std::chrono::milliseconds session_timeout{6000};   // the broker's minimum
  bool from_earliest = true;                         // auto.offset.reset
};

// A real consumer-group member (classic protocol, librdkafka): subscribes, consumes on its own
// thread and commits what it processed (the next offset) every commit_interval, asynchronously.
// The commit behaviour can be changed while it runs. Destruction stops it and leaves the group.
class consumer_member {
 public:
  consumer_member(const std::string& bootstrap, consumer_member_options options);
  consumer_member(const consumer_member&) = delete;
  consumer_member& operator=(const consumer_member&) = delete;
  ~consumer_member();

  const std::string& group() const { return options_.group; }
  std::int64_t consumed() const { return consumed_.load(); }
  std::int64_t commits() const { return commits_ok_.load(); }  // acknowledged commit requests
  std::vector<topic_partition> assignment() const;
  // Next offset to process (last processed + 1) for a partition it consumed from.
  std::optional<std::int64_t> position(const std::string& topic, int partition) const;
  // The group's committed offset as the broker reports it (admin ListConsumerGroupOffsets).
  std::optional<std::int64_t> committed(const std::string& topic, int partition) const;

  bool wait_for_assignment(std::chrono::milliseconds deadline) const;
  bool wait_for_consumed(std::int64_t count, std::chrono::milliseconds deadline) const;

  void set_committing(bool on);
  void set_fixed_commit_offset(std::optional<std::int64_t> offset);
  void set_message_delay(std::chrono::milliseconds delay);

  // Stops the thread, closes the consumer (leaving the group). Idempotent.
  void stop();

 private:
  struct impl;
  void run(std::stop_token stop);

  std::string bootstrap_;
  consumer_member_options options_;  // guarded by mutex_ after start
  mutable std::mutex mutex_;
  std::map<topic_partition, std::int64_t> positions_;
  std::vector<topic_partition> assignment_;
  std::atomic<std::int64_t> consumed_{0};
  std::atomic<std::int64_t> commits_ok_{0};
  std::unique_ptr<impl> impl_;
  std::jthread thread_;  // last: its body uses everything above
};

// ---- admin queries (librdkafka) ----

std::vector<std::string> list_groups(const std::string& bootstrap, std::chrono::milliseconds deadline = 30s);

struct member_info {
  std::string member_id;
  std::string client_id;
  std::string host;
  std::vector<topic_partition> assignment;
};

struct group_info {
  std::string group;
  std::string state;  // librdkafka's name: "Stable", "Empty", "Dead", ...
  std::string assignor;
  std::vector<member_info> members;
  std::string error;  // empty when described
};

// Classic DescribeGroups: groups on the new (consumer) protocol come back with an error or as "Dead".
group_info describe_group(const std::string& bootstrap, const std::string& group,
                          std::chrono::milliseconds deadline = 30s);

// Every committed offset of a group (OffsetFetch: works for both group protocols).
std::map<topic_partition, std::int64_t> committed_offsets(const std::string& bootstrap, const std::string& group,
                                                          std::chrono::milliseconds deadline = 30s);
std::optional<std::int64_t> committed_offset(const std::string& bootstrap, const std::string& group,
                                             const std::string& topic, int partition,
                                             std::chrono::milliseconds deadline = 30s);

// ---- Kafka's Java ConsumerGroupCommand ----

inline constexpr const char* console_consumer_class = "org.apache.kafka.tools.consumer.ConsoleConsumer";
inline constexpr const char* console_producer_class = "org.apache.kafka.tools.ConsoleProducer";
inline constexpr const char* consumer_groups_class = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand";
inline constexpr const char* topic_command_class = "org.apache.kafka.tools.TopicCommand";
inline constexpr const char* producer_perf_class = "org.apache.kafka.tools.ProducerPerformance";
inline constexpr const char* consumer_perf_class = "org.apache.kafka.tools.ConsumerPerformance";
inline constexpr const char* get_offset_shell_class = "org.apache.kafka.tools.GetOffsetShell";

// One row of `--describe --group G` (the offsets view). "-" columns are empty optionals / strings.
struct group_offset_row {
  std::string group;
  std::string topic;
  int partition = 0;
  std::optional<std::int64_t> current_offset;
  std::optional<std::int64_t> log_end_offset;
  std::optional<std::int64_t> lag;
  std::string consumer_id;
  std::string host;
  std::string client_id;
};

// Runs `--describe --group G --offsets` and returns the tool's result (output parsed below).
tool_result describe_group_tool(const kafka_cluster& cluster, const std::string& group);
std::vector<group_offset_row> parse_group_describe(const std::string& output);

// `--delete --group G`: the group must have no active members. Throws with the tool output on failure.
void delete_group(const kafka_cluster& cluster, const std::string& group);
// `--reset-offsets --group G --topic T --to-offset N --execute` (all partitions of T). The group
// must have no active members. Throws with the tool output on failure.
void reset_offsets(const kafka_cluster& cluster, const std::string& group, const std::string& topic,
                   std::int64_t to_offset);

/// Produces `messages` records to topic/0, lets a real member of `group` consume and commit all of
/// them, and leaves the group: afterwards the group's committed offset on topic/0 is `messages`.
/// Throws std::runtime_error when that does not happen within `deadline`.
void commit_all_and_leave(const std::string& bootstrap, const std::string& group, const std::string& topic,
                          std::int64_t messages, std::chrono::milliseconds deadline = std::chrono::seconds(90));

}  // namespace warren::test
