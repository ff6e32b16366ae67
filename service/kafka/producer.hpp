#pragma once
// record_producer (issue 14): a librdkafka producer of keyed records to one topic. produce() never
// blocks (librdkafka queues the record; a full queue is an error returned at once). Delivery
// reports are served by librdkafka's background thread (make_client forwards a producer's main
// queue there), which posts each result to the io executor: `on_delivery` runs on the io thread.
// flush() and close() block: call them through blocking_pool. After close() returns, deliveries
// already posted still run on the io thread: let the io thread turn once (asio::post) before
// destroying the object. librdkafka types stay in producer.cpp.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "service/core/async.hpp"
#include "service/kafka/client.hpp"

namespace warren::kafka {

class record_producer {
 public:
  /// (key, librdkafka error code; 0 = delivered, error text). io thread.
  using delivery = std::function<void(const std::string& key, int code, const std::string& error)>;

  /// Builds the client (non-blocking). Throws std::runtime_error with librdkafka's reason.
  record_producer(asio::any_io_executor ex, const client_settings& settings,
                  const std::map<std::string, std::string>& extra, std::string topic, delivery on_delivery);
  ~record_producer();  ///< after close(); otherwise the handle is destroyed inline (blocks)
  record_producer(const record_producer&) = delete;
  record_producer& operator=(const record_producer&) = delete;

  /// Queues one record (value nullopt = tombstone), partitioned by key. Returns "" or the reason
  /// it was refused (queue full, too large). io thread, non-blocking.
  std::string produce(std::string_view key, std::optional<std::string_view> value);
  /// Records produced whose delivery has not been reported on the io thread yet.
  std::size_t in_flight() const;
  /// The raw handle, for blocking admin and metadata calls on the pool.
  rd_kafka_s* raw() const;

  /// BLOCKING: waits up to timeout_ms until every queued record was delivered or failed. Returns
  /// the number still queued. Thread-safe with produce().
  int flush(int timeout_ms);
  /// BLOCKING: flushes (up to timeout_ms) and destroys the handle. Once, after the last produce().
  void close(int timeout_ms);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace warren::kafka
