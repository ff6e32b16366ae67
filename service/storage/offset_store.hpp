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
  std::size_t queued_batches() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace warren
