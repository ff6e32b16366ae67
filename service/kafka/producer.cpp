#include "service/kafka/producer.hpp"

#include <librdkafka/rdkafka.h>

#include <boost/asio/post.hpp>
#include <stdexcept>

namespace warren::kafka {

struct record_producer::impl {
  asio::any_io_executor ex;
  std::string topic;
  delivery on_delivery;
  handle rk;
  std::size_t in_flight = 0;  // io thread

  // librdkafka's background thread: copy what the io thread needs and post it there.
  static void delivered(rd_kafka_t* rk, const rd_kafka_message_t* m, void*) {
    auto* self = static_cast<impl*>(client_owner(rk));
    if (!self) return;
    std::string key(static_cast<const char*>(m->key), m->key_len);
    std::string error = m->err ? rd_kafka_err2str(m->err) : "";
    asio::post(self->ex, [self, key = std::move(key), code = static_cast<int>(m->err), error = std::move(error)] {
      if (self->in_flight > 0) --self->in_flight;
      if (self->on_delivery) self->on_delivery(key, code, error);
    });
  }
  static void tune(rd_kafka_conf_s* conf) { rd_kafka_conf_set_dr_msg_cb(conf, delivered); }
};

record_producer::record_producer(asio::any_io_executor ex, const client_settings& settings,
                                 const std::map<std::string, std::string>& extra, std::string topic,
                                 delivery on_delivery)
    : impl_(std::make_unique<impl>()) {
  impl_->ex = ex;
  impl_->topic = std::move(topic);
  impl_->on_delivery = std::move(on_delivery);
  std::string err;
  auto made = make_client(client_kind::producer, settings, extra, err, &impl::tune);
  if (!made) throw std::runtime_error("producer for " + impl_->topic + ": " + err);
  impl_->rk = std::move(made.value());
  set_client_owner(impl_->rk.get(), impl_.get());
}

record_producer::~record_producer() = default;  // handle_deleter destroys a handle close() left

std::string record_producer::produce(std::string_view key, std::optional<std::string_view> value) {
  void* payload = value ? const_cast<char*>(value->data()) : nullptr;
  const std::size_t len = value ? value->size() : 0;
  const rd_kafka_resp_err_t err =
      rd_kafka_producev(impl_->rk.get(), RD_KAFKA_V_TOPIC(impl_->topic.c_str()),
                        RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()), RD_KAFKA_V_VALUE(payload, len),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
  if (err) return rd_kafka_err2str(err);
  ++impl_->in_flight;
  return {};
}

std::size_t record_producer::in_flight() const { return impl_->in_flight; }
rd_kafka_s* record_producer::raw() const { return impl_->rk.get(); }

int record_producer::flush(int timeout_ms) {
  rd_kafka_flush(impl_->rk.get(), timeout_ms);
  return rd_kafka_outq_len(impl_->rk.get());
}

void record_producer::close(int timeout_ms) {
  if (!impl_->rk) return;
  rd_kafka_flush(impl_->rk.get(), timeout_ms);
  impl_->rk.reset();  // joins librdkafka's threads; remaining records are failed (reports posted)
}

}  // namespace warren::kafka
