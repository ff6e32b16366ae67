#pragma once
// offset_store (actor): owns the storage state (storage/model.hpp) of every configured cluster.
// Mutations arrive only as command batches through its bounded mailbox: readers and pollers
// `send` (suspending while it is full: back-pressure, nothing is dropped), HTTP DELETE uses
// `try_send` (never waits). Queries are const functions called on the io thread. Every group whose
// state changed is reported to the change_sink (the evaluator's queue), once per batch; new
// log-end offsets mark the groups consuming that topic (per-topic index, no scan of all groups).
// Supervised: a batch whose apply throws is retried after the restart, and dropped (counted) only
// if it throws again `poison_retries` times. io thread only.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "service/core/async.hpp"
#include "service/core/clock.hpp"
#include "service/storage/change_sink.hpp"
#include "service/storage/commands.hpp"
#include "service/storage/model.hpp"

namespace warren {
class supervisor;

struct store_stats {
  std::uint64_t batches = 0;
  std::uint64_t commits = 0;
  std::uint64_t commits_stored = 0;   ///< appended, inserted or merged
  std::uint64_t commits_held = 0;     ///< waiting for the topic's broker data
  std::uint64_t commits_dropped = 0;  ///< expired, filtered, duplicate, backfill beyond the window
  std::uint64_t groups_expired = 0;
  std::uint64_t batches_poisoned = 0;  ///< batches dropped because applying them kept throwing
  std::uint64_t commands_refused = 0;  ///< try_send on a full mailbox
  std::uint64_t batches_received = 0;  ///< accepted into the mailbox (send, try_send)
  std::uint64_t batches_done = 0;      ///< taken from the mailbox and applied or dropped (core/ready_gate.hpp)
};

/// Issue 14 ("restart without amnesia"): where and how often the store writes its snapshots
/// ([warren] state-dir, snapshot-interval; format in storage/snapshot.hpp).
struct snapshot_settings {
  std::string dir;  ///< directory of the <cluster>.snapshot files; empty = no snapshots
  std::chrono::seconds interval{300};
  /// cluster → the offsets topic its (single) offsets reader reads: only these are snapshotted.
  std::map<std::string, std::string> offsets_topics;
};

/// Issue 14: what the snapshots did (io thread).
struct snapshot_stats {
  std::uint64_t written = 0;
  std::uint64_t failed = 0;
  std::uint64_t last_bytes = 0;
  std::uint64_t last_groups = 0;
  std::int64_t last_io_thread_us = 0;  ///< io-thread time spent on the last one (every slice)
  std::int64_t last_max_slice_us = 0;  ///< its longest single slice
  std::int64_t last_total_ms = 0;      ///< start of building to the rename
  std::uint64_t loaded_groups = 0;     ///< restored at start-up
  std::int64_t load_ms = 0;            ///< reading, decoding and importing at start-up
};

class offset_store {
 public:
  /// Throws on invalid options (bad regex): a start-up failure.
  offset_store(asio::any_io_executor ex, supervisor& sup, const storage_options& options,
               const std::vector<std::string>& clusters, const clock& clk = clock::system());
  ~offset_store();
  offset_store(const offset_store&) = delete;
  offset_store& operator=(const offset_store&) = delete;

  /// Where changed groups go (the evaluator's inbox). Set before start().
  void set_sink(change_sink& sink);
  void start();
  task<void> stop();

  /// Queues a batch; suspends while the mailbox is full.
  task<void> send(store_cmd::batch batch);
  /// Queues a batch if there is room now; false when full or stopped (the batch is discarded).
  bool try_send(store_cmd::batch batch);
  /// Tests and benches only: applies a batch synchronously (actors use send).
  void apply_now(const store_cmd::batch& batch);
  /// Tests and benches only: runs expiry now.
  void expire_now();

  /// nullptr for an unknown cluster.
  const cluster_state* cluster(std::string_view name) const;
  std::vector<std::string> cluster_names() const;
  const store_stats& stats() const;

  // ---- issue 14: snapshots ------------------------------------------------------------------
  /// Before start(): snapshot every cluster of `s.offsets_topics` into `s.dir` (which the app
  /// checked is writable) every `s.interval` and at stop(). Building a snapshot runs on the io
  /// thread in slices (one offsets partition, at most 1024 groups, then a yield); the file is
  /// written, fsync'd and renamed on the store's own one-thread blocking pool.
  void enable_snapshots(snapshot_settings s);
  /// Start-up, before the io loop runs and before the readers start (it reads the file
  /// synchronously): restores `cluster`'s snapshot if it is usable, otherwise logs why and restores
  /// nothing. Returns the reader's start position per offsets-topic partition (−1 = read that one
  /// from the beginning); empty = no snapshot (read everything from the beginning).
  std::vector<std::int64_t> load_snapshot(const std::string& cluster);
  /// Writes every enabled cluster's snapshot now (tests, benches; also periodic and at stop()).
  task<void> write_snapshots();
  const snapshot_stats& snapshots() const;
  std::size_t queued_batches() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace warren
