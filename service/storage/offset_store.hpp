#pragma once
// offset_store (actor): owns the storage state (storage/model.hpp) of every configured cluster.
// Mutations arrive as command batches through a bounded mailbox (readers and pollers suspend when
// it is full: back-pressure, nothing is dropped) or, for HTTP DELETE, through apply() on the io
// thread. Queries are const functions called on the io thread. Every group whose state changed is
// reported to the change listener (the evaluator), once per batch.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "service/core/async.hpp"
#include "service/storage/commands.hpp"
#include "service/storage/model.hpp"

namespace warren {

struct store_stats {
  std::uint64_t batches = 0;
  std::uint64_t commits = 0;
  std::uint64_t commits_stored = 0;   ///< appended, inserted or merged
  std::uint64_t commits_held = 0;     ///< waiting for the topic's broker data
  std::uint64_t commits_dropped = 0;  ///< expired, filtered, duplicate, backfill beyond the window
  std::uint64_t groups_expired = 0;
};

class offset_store {
 public:
  /// (cluster, group, removed): the group's stored state changed, or it was removed.
  using change_listener = std::function<void(const std::string&, const std::string&, bool)>;

  /// Throws on invalid options (bad regex): a start-up failure.
  offset_store(asio::any_io_executor ex, const storage_options& options, const std::vector<std::string>& clusters);
  ~offset_store();
  offset_store(const offset_store&) = delete;
  offset_store& operator=(const offset_store&) = delete;

  void set_listener(change_listener listener);
  void start();
  void stop();

  /// Queues a batch; suspends while the mailbox is full.
  task<void> send(store_cmd::batch batch);
  /// Applies a batch now (io thread).
  void apply(const store_cmd::batch& batch);

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
