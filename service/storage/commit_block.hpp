#pragma once
// commit_block_builder: fills a store_cmd::commit_block, interning group and topic names so that a
// name is copied once per block however many commits carry it (issue 12: no allocation per commit
// on the ingest path). PURE, not thread-safe (one per offsets reader, used on the io thread).
// Its table keeps its capacity from block to block: once warm, adding a commit allocates nothing
// unless the block's own vectors grow.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "service/storage/commands.hpp"

namespace warren {

class commit_block_builder {
 public:
  /// Starts a new block: every name interned so far is forgotten (ids are per block).
  void reset();
  /// The id of `name` in `block`, appending it to block.text/names when it is new. Between two
  /// reset() calls every call must pass the same block.
  std::uint32_t intern(store_cmd::commit_block& block, std::string_view name);
  /// Appends one commit to `block`.
  void add(store_cmd::commit_block& block, std::string_view group, std::string_view topic, partition_id partition,
           offset_t offset, std::int64_t order, timestamp_ms timestamp);

 private:
  void grow(const store_cmd::commit_block& block);

  std::vector<std::uint32_t> slots_;   // open addressing: id + 1, 0 = empty; size is a power of two
  std::vector<std::uint64_t> hashes_;  // per id of the current block
  // Commits come in runs (one OffsetCommit request covers many partitions of one group).
  std::uint32_t last_group_ = no_id;
  static constexpr std::uint32_t no_id = 0xffffffffU;
};

}  // namespace warren
