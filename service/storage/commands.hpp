#pragma once
// Mutations of the offset store, sent by the offsets readers and cluster pollers (and the HTTP
// DELETE handlers) in batches through the store's bounded mailbox. Plain data, owned strings,
// strong types (core/ids.hpp) so fields cannot be swapped; build them with designated initializers.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "service/core/ids.hpp"

namespace warren::store_cmd {

/// A committed offset read from the offsets topic. `order` is its offset in that topic.
struct commit {
  group_name group;
  topic_name topic;
  partition_id partition;
  offset_t offset;
  std::int64_t order = 0;
  timestamp_ms timestamp;  ///< commit timestamp
};
/// Warren (issue 12): a run of commits whose group and topic names are stored once per block, not
/// once per commit (the offsets reader's hot path: no allocation per commit). Applied exactly like
/// the same commits sent one by one, in `commits` order. Build it with commit_block_builder
/// (storage/commit_block.hpp), which interns the names.
struct commit_block {
  struct entry {
    std::uint32_t group = 0;  ///< name id (see name())
    std::uint32_t topic = 0;  ///< name id
    partition_id partition;
    offset_t offset;
    std::int64_t order = 0;  ///< the record's offset in the offsets topic
    timestamp_ms timestamp;  ///< commit timestamp
  };
  std::string text;                                            ///< every name, back to back
  std::vector<std::pair<std::uint32_t, std::uint32_t>> names;  ///< per id: (begin, size) in text
  std::vector<entry> commits;

  std::string_view name(std::uint32_t id) const {
    const auto& [begin, size] = names[id];
    return std::string_view(text).substr(begin, size);
  }
};
/// The group's committed offset for one partition was deleted (offset-commit tombstone).
struct forget_partition {
  group_name group;
  topic_name topic;
  partition_id partition;
};
/// Owner of a partition from the group's metadata (member assignment).
struct owner {
  group_name group;
  topic_name topic;
  partition_id partition;
  std::string host, client_id;
};
/// The group has no members any more.
struct clear_owners {
  group_name group;
};
/// The group is gone (group tombstone, reaper, or DELETE). With `topic`, only that topic.
struct delete_group {
  group_name group;
  topic_name topic;  ///< empty = the whole group
};
/// Log-end offsets of one topic's partitions, observed at `observed_at` (ms). offsets[i] < 0 =
/// no value for partition i this round.
struct broker_offsets {
  topic_name topic;
  std::int32_t partition_count = 0;
  std::vector<std::int64_t> offsets;
  timestamp_ms observed_at;
  /// Warren (issue 11): log-start offsets of the same partitions when this round read them (empty
  /// = not this round); log_start[i] < 0 = no value for partition i.
  std::vector<std::int64_t> log_start;
};
/// Warren (issue 11): configuration of a topic read from the cluster (DescribeConfigs).
struct topic_config {
  topic_name topic;
  std::int64_t retention_ms = -1;  ///< retention.ms; −1 = infinite
};
/// The topic no longer exists in the cluster's metadata.
struct delete_topic {
  topic_name topic;
};
/// The groups the cluster knows (reaper): every other group is deleted.
struct keep_only_groups {
  std::vector<std::string> groups;
};

/// Warren (issue 14): the offsets reader's next offset per offsets-topic partition once the
/// commands before this one are applied (index = partition; < 0 = unchanged). The store keeps them
/// for its snapshots, so a snapshot's position never claims a record the store has not applied.
struct offsets_positions {
  std::vector<std::int64_t> next;
};
/// Warren (issue 14): drop every group whose commits live in offsets-topic partition `partition`
/// of `partition_count` (abs(javaStringHashCode(group)) % partition_count): that partition's part
/// of a loaded snapshot is unusable and it is read again from the beginning.
struct forget_offsets_partition {
  std::int32_t partition = 0;
  std::int32_t partition_count = 0;
};

using command = std::variant<commit, forget_partition, owner, clear_owners, delete_group, broker_offsets,
                             delete_topic, keep_only_groups, topic_config, commit_block,
                             offsets_positions, forget_offsets_partition>;

/// A batch of commands for one cluster.
struct batch {
  std::string cluster;
  std::vector<command> commands;
};

}  // namespace warren::store_cmd
