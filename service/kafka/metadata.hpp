#pragma once
// Blocking librdkafka queries. Each call blocks up to `timeout_ms`: run them through
// blocking_pool::offload, never on the io thread. Thread-safe on a shared handle.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "service/kafka/client.hpp"

namespace warren::kafka {

struct topic_info {
  std::int32_t partition_count = 0;
  std::vector<std::int32_t> with_leader;  ///< partitions that currently have a leader
};

struct metadata_result {
  bool ok = false;
  std::string error;                         ///< when !ok
  std::map<std::string, topic_info> topics;  ///< every topic, internal ones included
  /// Topics left out of `topics` because the broker answered them with an error: topic ->
  /// librdkafka's error name (UNKNOWN_TOPIC_OR_PART, TOPIC_AUTHORIZATION_FAILED, ...).
  std::map<std::string, std::string> topic_errors;
};

/// Metadata of every topic (or only `topic` when non-empty).
metadata_result fetch_metadata(rd_kafka_s* rk, const std::string& topic, int timeout_ms);

struct end_offsets_result {
  bool ok = false;     ///< at least one partition answered (or nothing was asked)
  std::string error;   ///< the request's or the first partition's error, when any failed
  /// topic → per-partition offset (-1 = no answer for that partition).
  std::map<std::string, std::vector<std::int64_t>> offsets;
  std::size_t failed_partitions = 0;  ///< asked for and not answered (a broker that failed)
};

/// Log-end (`which` = -1, latest) or log-start (`which` = -2, earliest) offsets of the given
/// partitions in one ListOffsets request per leader broker (rd_kafka_offsets_for_times). One broker
/// that fails does not discard the partitions the others answered: they are kept, the failed ones
/// are counted and stay -1.
end_offsets_result list_offsets(rd_kafka_s* rk, const std::map<std::string, std::vector<std::int32_t>>& partitions,
                                std::int64_t which, int timeout_ms);

struct topic_configs_result {
  bool ok = false;     ///< the request was answered (some topics may still have failed)
  std::string error;   ///< the request's error, or the first topic's
  /// topic → retention.ms (−1 = infinite); topics whose answer failed are missing.
  std::map<std::string, std::int64_t> retention_ms;
};

/// retention.ms of the given topics (Admin DescribeConfigs, in requests of at most 500 topics,
/// waiting up to timeout_ms for each).
topic_configs_result describe_topic_retention(rd_kafka_s* rk, const std::vector<std::string>& topics, int timeout_ms);

struct groups_result {
  bool ok = false;
  std::string error;
  std::vector<std::string> groups;
};

/// Every consumer group the cluster knows (Admin ListConsumerGroups), waiting up to timeout_ms.
groups_result list_groups(rd_kafka_s* rk, int timeout_ms);

/// Issue 14: creates `topic` (Admin CreateTopics) with `partitions` partitions, the broker's
/// default replication factor (-1) and the given topic configs, waiting up to timeout_ms. Returns
/// "" when it was created or already exists, else the broker's or librdkafka's reason.
std::string create_topic(rd_kafka_s* rk, const std::string& topic, int partitions,
                         const std::map<std::string, std::string>& configs, int timeout_ms);

}  // namespace warren::kafka
