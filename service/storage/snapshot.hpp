#pragma once
// Store snapshots (issue 14, "restart without amnesia"): the binary image of one cluster's stored
// windows, grouped by the offsets-topic partition their commits live in, with the reader position
// of each partition. PURE codec (no Asio, no clock); write_file/read_file are plain blocking POSIX
// file I/O, to be run off the io thread (blocking_pool). Not thread-safe; no shared state.
//
// Format (version 1, little-endian, every count and length bounded by the bytes that follow):
//   "WRNSNAP\0"  u32 version  str cluster  str offsets_topic  u32 intervals  u32 partition_count
//   i64 written_at_ms
//   partition_count × { i64 next_offset (−1 = unknown)  u32 groups
//                       groups × { str name  i64 last_commit  u32 topics
//                                  topics × { str name  u32 slot_count  u32 slots
//                                             slots × { u32 partition  str owner  str client_id  u32 samples
//                                                       samples × { var offset  var order  var timestamp
//                                                                   var observed_at  u8 has_lag  [uvar lag] } } } } }
//   u32 crc32 (zlib's CRC-32) of every byte before it
// str = u32 length + bytes; uvar = LEB128 (at most 10 bytes); var = zigzag LEB128 of the value for a
// window's first sample and of the (wrapping) difference from the previous sample after it, so a
// sample of a steady consumer takes about 10 bytes instead of 40. Groups, topics and slots are sorted and unique; a group sits in the
// section of partition abs(javaStringHashCode(group)) % partition_count (Kafka's partitionFor);
// a window holds at most `intervals` samples with strictly increasing order. A file that breaks any
// of this is rejected whole. Broker log-end data is not in the file: the cluster poller re-reads it
// within one refresh.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "service/storage/sample_ring.hpp"

namespace warren::snapshot {

inline constexpr std::uint32_t format_version = 1;
/// Upper bounds a decoded file must respect (a valid checksum does not make a count sane).
inline constexpr std::uint32_t max_partition_count = 1u << 16;  ///< offsets-topic partitions
inline constexpr std::uint32_t max_slot_count = 1u << 20;       ///< partitions of one topic

/// Java's String.hashCode over the UTF-16 code units of `utf8` (invalid UTF-8 bytes count as
/// U+FFFD, as Java's decoder replaces them).
std::int32_t java_string_hash(std::string_view utf8);
/// Kafka's GroupCoordinator partitionFor: Utils.abs(hashCode) % count (abs(MIN_VALUE) = 0).
/// `count` must be ≥ 1.
std::int32_t offsets_partition_for(std::string_view group, std::int32_t count);

/// One stored partition of a group: owner, client id and its commit window (oldest first).
struct slot_image {
  std::int32_t partition = 0;
  std::string owner;
  std::string client_id;
  std::vector<consumer_offset> window;
  friend bool operator==(const slot_image&, const slot_image&) = default;
};
/// One topic of a group: the size of its partition vector and its stored slots, by partition.
struct topic_image {
  std::string name;
  std::uint32_t slot_count = 0;
  std::vector<slot_image> slots;
  friend bool operator==(const topic_image&, const topic_image&) = default;
};
struct group_image {
  std::string name;
  std::int64_t last_commit = 0;
  std::vector<topic_image> topics;  ///< sorted by name
  friend bool operator==(const group_image&, const group_image&) = default;
};
/// One offsets-topic partition: the reader's next offset and the groups whose commits live there.
struct partition_image {
  std::int64_t next_offset = -1;  ///< −1 = unknown (replay that partition from the beginning)
  std::vector<group_image> groups;  ///< sorted by name
  friend bool operator==(const partition_image&, const partition_image&) = default;
};
struct header {
  std::uint32_t version = format_version;
  std::string cluster;
  std::string offsets_topic;
  std::uint32_t intervals = 0;
  std::uint32_t partition_count = 0;
  std::int64_t written_at_ms = 0;
  friend bool operator==(const header&, const header&) = default;
};
struct image {
  header head;
  std::vector<partition_image> partitions;  ///< exactly head.partition_count
  friend bool operator==(const image&, const image&) = default;
};

/// Byte image of the header (the first chunk of a file).
std::string encode_header(const header& h);
/// Byte image of one partition section (appended to `out`). Groups must be sorted as above.
void encode_partition(const partition_image& p, std::string& out);
/// Incremental encode_partition, for building a section in slices: start(), add() each group in
/// name order, finish(); `bytes` is then the section.
struct partition_encoder {
  std::string bytes;
  std::uint32_t groups = 0;
  void start(std::int64_t next_offset);
  void add(const group_image& g);
  void finish();  ///< writes the group count into the section
};
/// A whole file: the chunks concatenated plus the checksum.
std::string encode(const image& img);

/// What decode found: the image, or why the bytes were rejected (nothing of them is used then).
struct decode_result {
  std::optional<image> value;
  std::string error;  ///< set when !value
};
/// Checks the checksum, magic and version first, then parses with every bound checked. Never
/// throws on bad input and never returns a partial image.
decode_result decode(std::span<const std::byte> bytes);
decode_result decode(std::string_view bytes);

/// The snapshot file of `cluster` in `dir` (the name is the cluster name, with any character
/// outside [A-Za-z0-9._-] hex-escaped).
std::filesystem::path file_for(const std::filesystem::path& dir, std::string_view cluster);
/// Writes `chunks` and their CRC-32 to `path`: a temporary file in the same directory, fsync'd,
/// renamed over `path`, the directory fsync'd. Empty string on success, else the reason (the old
/// file is then untouched). Blocking: run it off the io thread.
std::string write_file(const std::filesystem::path& path, std::span<const std::string> chunks);
/// Reads the whole file; nullopt when it does not exist. Throws nothing; `error` set on I/O errors.
std::optional<std::string> read_file(const std::filesystem::path& path, std::string& error);
/// Creates `dir` when missing and checks that a file can be created in it. Empty string when fine,
/// else the reason.
std::string check_dir(const std::filesystem::path& dir);

}  // namespace warren::snapshot
