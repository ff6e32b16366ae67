#include "service/kafka/consumer.hpp"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <stdexcept>

namespace warren::kafka {

namespace {
partition_list make_list(const std::string& topic, const std::vector<std::int32_t>& partitions,
                         const std::vector<std::int64_t>* starts) {
  partition_list list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (std::size_t i = 0; i < partitions.size(); ++i) {
    auto* tp = rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partitions[i]);
    if (starts) tp->offset = i < starts->size() ? (*starts)[i] : RD_KAFKA_OFFSET_BEGINNING;
  }
  return list;
}

std::string error_text(rd_kafka_error_t* e) {
  if (!e) return {};
  std::string text = rd_kafka_error_string(e);
  rd_kafka_error_destroy(e);
  return text.empty() ? "error" : text;
}
}  // namespace

// librdkafka calls the rebalance callback from the thread that serves the consumer queue: the io
// thread inside poll_batch() (the event is handed to the reader, which answers it), or the thread
// running close() (answered here: the partitions are given back).
struct rebalance_trampoline {
  static void call(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* list, void*) {
    auto* self = static_cast<topic_consumer*>(client_owner(rk));
    const bool assigned = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;
    if (!self || self->closing_ || !self->events_) {
      // No reader to tell (close() serves the queue): answered with librdkafka's defaults.
      if (!assigned) error_text(rd_kafka_incremental_unassign(rk, list));
      else error_text(rd_kafka_incremental_assign(rk, list));
      return;
    }
    consumer_event e;
    e.code = err;
    e.message = assigned ? "partitions assigned" : rd_kafka_err2str(err);
    rebalance r;
    r.assigned = assigned;
    r.lost = !assigned && rd_kafka_assignment_lost(rk);
    for (int i = 0; i < list->cnt; ++i)
      if (self->topic_ == list->elems[i].topic) r.partitions.push_back(list->elems[i].partition);
    e.rebalance = std::move(r);
    self->events_->push_back(std::move(e));
  }
};

namespace {
void install_rebalance_callback(rd_kafka_conf_s* conf) { rd_kafka_conf_set_rebalance_cb(conf, rebalance_trampoline::call); }
}  // namespace

topic_consumer::topic_consumer(const client_settings& settings, std::string topic, std::optional<group_membership> group)
    : topic_(std::move(topic)), group_(std::move(group)) {
  std::string err;
  // Fetch and prefetch sizes come with `settings` (the offsets reader bounds them).
  std::map<std::string, std::string> extra{
      // librdkafka only gives a consumer queue to a consumer with a group.id. Without a
      // group_membership it never joins that group (assign, no subscribe) and commits nothing.
      {"group.id", "warren-offsets-reader"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "false"},
      {"check.crcs", "false"}};
  if (group_) {
    // Issue 14: a member of the instances' coordination group. Nothing is committed: a gained
    // partition starts where the reader says (incremental_assign), else at the beginning.
    extra["group.id"] = group_->group;
    extra["partition.assignment.strategy"] = "cooperative-sticky";
    extra["session.timeout.ms"] = std::to_string(group_->session_timeout_ms);
    extra["heartbeat.interval.ms"] = std::to_string(std::min(1000, group_->session_timeout_ms / 3));
    extra["auto.offset.reset"] = "earliest";
  }
  auto h = make_client(client_kind::consumer, settings, extra, err, group_ ? install_rebalance_callback : nullptr);
  if (!h) throw std::runtime_error("cannot create consumer: " + err);
  rk_ = std::move(*h);
  set_client_owner(rk_.get(), this);
  rd_kafka_poll_set_consumer(rk_.get());
  queue_.reset(rd_kafka_queue_get_consumer(rk_.get()));
  if (!queue_) throw std::runtime_error("librdkafka gave no consumer queue");
}

topic_consumer::~topic_consumer() { release(); }

void topic_consumer::assign(const std::vector<std::int32_t>& partitions, const std::vector<std::int64_t>& starts) {
  auto list = make_list(topic_, partitions, &starts);
  rd_kafka_assign(rk_.get(), list.get());
}

std::string topic_consumer::subscribe() {
  auto list = make_list(topic_, {RD_KAFKA_PARTITION_UA}, nullptr);
  auto err = rd_kafka_subscribe(rk_.get(), list.get());
  return err ? rd_kafka_err2str(err) : std::string();
}

std::string topic_consumer::incremental_assign(const std::vector<std::int32_t>& partitions,
                                               const std::vector<std::int64_t>& starts) {
  auto list = make_list(topic_, partitions, &starts);
  return error_text(rd_kafka_incremental_assign(rk_.get(), list.get()));
}

std::string topic_consumer::incremental_unassign(const std::vector<std::int32_t>& partitions) {
  auto list = make_list(topic_, partitions, nullptr);
  return error_text(rd_kafka_incremental_unassign(rk_.get(), list.get()));
}

void topic_consumer::release() {
  for (auto* m : batch_) rd_kafka_message_destroy(m);
  batch_.clear();
}

std::size_t topic_consumer::poll_batch(std::size_t max, std::vector<fetched>& records,
                                       std::vector<consumer_event>& events) {
  release();
  batch_.resize(max);
  const std::size_t events_before = events.size();
  events_ = &events;  // rebalances served by this call land here, in order
  ssize_t n = rd_kafka_consume_batch_queue(queue_.get(), 0, batch_.data(), max);
  events_ = nullptr;
  const std::size_t served_events = events.size() - events_before;
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
  // A rebalance is an item taken from the queue too: the caller must look at it even when the
  // batch holds no message.
  return static_cast<std::size_t>(n) + served_events;
}

std::vector<std::int64_t> topic_consumer::positions(const std::vector<std::int32_t>& partitions) const {
  auto list = make_list(topic_, partitions, nullptr);
  rd_kafka_position(rk_.get(), list.get());
  std::vector<std::int64_t> out;
  out.reserve(partitions.size());
  for (int i = 0; i < list->cnt; ++i) out.push_back(list->elems[i].offset >= 0 ? list->elems[i].offset : -1);
  return out;
}

void topic_consumer::close() {
  release();
  if (!rk_) return;
  closing_ = true;  // the revocation close() triggers is answered by the callback on this thread
  rd_kafka_consumer_close(rk_.get());
  queue_.reset();
  rk_.reset();  // rd_kafka_destroy: blocks until librdkafka's threads end
}

}  // namespace warren::kafka
