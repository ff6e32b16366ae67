#include "service/kafka/consumer.hpp"

#include <librdkafka/rdkafka.h>

#include <stdexcept>

namespace warren::kafka {

assign_consumer::assign_consumer(const client_settings& settings, std::string topic) : topic_(std::move(topic)) {
  std::string err;
  // Fetch and prefetch sizes come with `settings` (the offsets reader bounds them).
  auto h = make_client(client_kind::consumer, settings,
                       // librdkafka only gives a consumer queue to a consumer with a group.id. It
                       // never joins that group (assign, no subscribe) and commits nothing.
                       {{"group.id", "warren-offsets-reader"},
                        {"enable.auto.commit", "false"},
                        {"enable.auto.offset.store", "false"},
                        {"enable.partition.eof", "false"},
                        {"check.crcs", "false"}},
                       err);
  if (!h) throw std::runtime_error("cannot create consumer: " + err);
  rk_ = std::move(*h);
  rd_kafka_poll_set_consumer(rk_.get());
  queue_.reset(rd_kafka_queue_get_consumer(rk_.get()));
  if (!queue_) throw std::runtime_error("librdkafka gave no consumer queue");
}

assign_consumer::~assign_consumer() { release(); }

void assign_consumer::assign(const std::vector<std::int32_t>& partitions, const std::vector<std::int64_t>& starts) {
  partition_list list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (std::size_t i = 0; i < partitions.size(); ++i)
    rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), partitions[i])->offset =
        i < starts.size() ? starts[i] : RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(rk_.get(), list.get());
}

void assign_consumer::release() {
  for (auto* m : batch_) rd_kafka_message_destroy(m);
  batch_.clear();
}

std::size_t assign_consumer::poll_batch(std::size_t max, std::vector<fetched>& records,
                                        std::vector<consumer_event>& events) {
  release();
  batch_.resize(max);
  ssize_t n = rd_kafka_consume_batch_queue(queue_.get(), 0, batch_.data(), max);
  if (n < 0) n = 0;
  batch_.resize(static_cast<std::size_t>(n));
  for (auto* m : batch_) {
    if (m->err) {
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
      consumer_event e;
      e.code = m->err;
      e.message = rd_kafka_message_errstr(m);
      e.all_brokers_down = m->err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN;
      e.topic_authorization_failed = m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED;
      events.push_back(std::move(e));
      continue;
    }
    fetched f;
    f.key = {static_cast<const std::byte*>(m->key), m->key_len};
    if (m->payload) f.value = std::span<const std::byte>{static_cast<const std::byte*>(m->payload), m->len};
    f.partition = m->partition;
    f.offset = m->offset;
    records.push_back(f);
  }
  return static_cast<std::size_t>(n);
}

std::vector<std::int64_t> assign_consumer::positions(const std::vector<std::int32_t>& partitions) const {
  partition_list list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (auto p : partitions) rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), p);
  rd_kafka_position(rk_.get(), list.get());
  std::vector<std::int64_t> out;
  out.reserve(partitions.size());
  for (int i = 0; i < list->cnt; ++i) out.push_back(list->elems[i].offset >= 0 ? list->elems[i].offset : -1);
  return out;
}

void assign_consumer::close() {
  release();
  if (!rk_) return;
  rd_kafka_consumer_close(rk_.get());
  queue_.reset();
  rk_.reset();  // rd_kafka_destroy: blocks until librdkafka's threads end
}

}  // namespace warren::kafka
