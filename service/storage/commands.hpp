#pragma once
// Mutations of the offset store, sent by the offsets readers and cluster pollers (and the HTTP
// DELETE handlers) in batches through the store's bounded mailbox. Plain data, owned strings.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace warren::store_cmd {

/// A committed offset read from the offsets topic. `order` is its offset in that topic.
struct commit {
  std::string group, topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int64_t order = 0;
  std::int64_t timestamp = 0;  ///< commit timestamp, ms
};
/// The group's committed offset for one partition was deleted (offset-commit tombstone).
struct forget_partition {
  std::string group, topic;
  std::int32_t partition = 0;
};
/// Owner of a partition from the group's metadata (member assignment).
struct owner {
  std::string group, topic;
  std::int32_t partition = 0;
  std::string host, client_id;
};
/// The group has no members any more.
struct clear_owners {
  std::string group;
};
/// The group is gone (group tombstone, reaper, or DELETE). With `topic`, only that topic.
struct delete_group {
  std::string group;
  std::string topic;  ///< empty = the whole group
};
/// Log-end offsets of one topic's partitions, observed at `observed_at` (ms). offsets[i] < 0 =
/// no value for partition i this round.
struct broker_offsets {
  std::string topic;
  std::int32_t partition_count = 0;
  std::vector<std::int64_t> offsets;
  std::int64_t observed_at = 0;
};
/// The topic no longer exists in the cluster's metadata.
struct delete_topic {
  std::string topic;
};
/// The groups the cluster knows (reaper): every other group is deleted.
struct keep_only_groups {
  std::vector<std::string> groups;
};

using command = std::variant<commit, forget_partition, owner, clear_owners, delete_group, broker_offsets,
                             delete_topic, keep_only_groups>;

/// A batch of commands for one cluster.
struct batch {
  std::string cluster;
  std::vector<command> commands;
};

}  // namespace warren::store_cmd
