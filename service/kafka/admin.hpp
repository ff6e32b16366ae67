#pragma once
// admin_client: librdkafka's asynchronous consumer-group Admin API (issue 13) for the kafka-admin
// offsets source. Requests return at once; their results arrive on one rd_kafka queue whose
// wake-up fd the io thread waits on (queue_waker). Usage, io thread only:
//   auto id = c.list_offsets("group", 10000);   // never blocks
//   co_await c.wait();                            // the queue became non-empty
//   for (auto& r : c.drain()) ...                 // every result so far, queue drained to empty
// Construction and every call except close() are non-blocking. close() destroys the handle,
// which joins librdkafka's threads: call it through blocking_pool, never on the io thread.
// librdkafka types stay in admin.cpp.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "service/core/async.hpp"
#include "service/kafka/client.hpp"

namespace warren::kafka {

/// What librdkafka said about a request or one group in it.
struct admin_error {
  int code = 0;  ///< rd_kafka_resp_err_t; 0 = none
  std::string message;
  bool retriable = false;
  bool throttled = false;  ///< THROTTLING_QUOTA_EXCEEDED or a request timeout: back off
  explicit operator bool() const { return code != 0; }
};

struct group_listing {
  std::string group;
  std::string state;  ///< librdkafka's state name: Stable, Empty, PreparingRebalance, Dead, Unknown...
  bool simple = false;  ///< a "simple" group (no protocol type: offsets committed without membership)
};

struct list_groups_result {
  std::uint64_t id = 0;
  admin_error error;                 ///< the request failed as a whole
  std::vector<group_listing> groups;
  std::vector<std::string> partial_errors;  ///< brokers that did not answer (the list may be short)
};

struct member_description {
  std::string consumer_id, client_id, host, group_instance_id;
  /// topic -> partitions assigned to this member.
  std::vector<std::pair<std::string, std::vector<std::int32_t>>> assignment;
};

struct group_description {
  std::string group;
  admin_error error;
  std::string state;
  std::string partition_assignor;
  bool simple = false;
  std::vector<member_description> members;
};

struct describe_groups_result {
  std::uint64_t id = 0;
  admin_error error;  ///< the request failed as a whole
  std::vector<group_description> groups;
};

struct committed_offset {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = -1;  ///< -1 = no committed offset
  admin_error error;
};

struct group_offsets_result {
  std::uint64_t id = 0;
  std::string group;
  admin_error error;  ///< the request's or the group's error
  std::vector<committed_offset> offsets;
};

using admin_result = std::variant<list_groups_result, describe_groups_result, group_offsets_result>;

class admin_client {
 public:
  /// Builds the client (a producer handle: admin requests need no consumer). Throws
  /// std::runtime_error with librdkafka's reason for bad settings (a start-up/restart failure).
  admin_client(asio::any_io_executor ex, const client_settings& settings);
  ~admin_client();  ///< after close(); otherwise it stops waking and destroys the handle inline (blocks)
  admin_client(const admin_client&) = delete;
  admin_client& operator=(const admin_client&) = delete;

  /// ListConsumerGroups with states. Returns the request id carried by its result.
  std::uint64_t list_groups(int timeout_ms);
  /// DescribeConsumerGroups of `groups` (one request; librdkafka splits it per coordinator).
  std::uint64_t describe_groups(const std::vector<std::string>& groups, int timeout_ms);
  /// ListConsumerGroupOffsets of ONE group, every partition it has committed (librdkafka 2.0.2
  /// accepts exactly one group per call).
  std::uint64_t list_offsets(const std::string& group, int timeout_ms);

  /// Every result delivered so far, in arrival order; leaves the queue empty. Never blocks.
  std::vector<admin_result> drain();
  /// Completes when results may be waiting (or with operation_aborted after cancel()).
  task<boost::system::error_code> wait();
  void cancel();
  /// Requests sent whose result has not been drained yet.
  std::size_t outstanding() const;

  /// Disables the wake-up (io thread). Call before close(); wait() must not be pending.
  void stop_waking();
  /// Destroys the result queue and the handle. BLOCKS (joins librdkafka's threads): run through
  /// blocking_pool after stop_waking(). Results not drained are discarded.
  void close();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace warren::kafka
