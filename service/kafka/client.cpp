#include "service/kafka/client.hpp"

#include <librdkafka/rdkafka.h>

#include "service/core/log.hpp"

namespace warren::kafka {

void handle_deleter::operator()(rd_kafka_s* rk) const noexcept { rd_kafka_destroy(rk); }
void queue_deleter::operator()(rd_kafka_queue_s* q) const noexcept { rd_kafka_queue_destroy(q); }
void partition_list_deleter::operator()(rd_kafka_topic_partition_list_s* l) const noexcept {
  rd_kafka_topic_partition_list_destroy(l);
}

namespace {
class rdkafka_category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "librdkafka"; }
  std::string message(int ev) const override { return rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(ev)); }
};
const rdkafka_category& category() {
  static const rdkafka_category c;
  return c;
}

// librdkafka log lines arrive on its own threads; write_log is one fprintf per line.
void log_callback(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  log_level l = level <= 3 ? log_level::error : level <= 5 ? log_level::warn : log_level::debug;
  log(l, "librdkafka", rd_kafka_name(rk), " ", fac, ": ", buf);
}
}  // namespace

boost::system::error_code make_error(int err) { return {err, category()}; }

std::string join_servers(const std::vector<std::string>& servers) {
  std::string out;
  for (const auto& s : servers) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
}

result<handle> make_client(client_kind kind, const client_settings& settings,
                           const std::map<std::string, std::string>& extra, std::string& error_text) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  auto set = [&](const std::string& k, const std::string& v) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      error_text = k + ": " + err;
      return false;
    }
    return true;
  };
  bool ok = set("bootstrap.servers", join_servers(settings.servers)) && set("client.id", settings.client_id) &&
            set("log_level", "4");
  for (const auto& [k, v] : settings.properties) ok = ok && set(k, v);
  for (const auto& [k, v] : extra) ok = ok && set(k, v);
  if (!ok) {
    rd_kafka_conf_destroy(conf);
    return make_error(RD_KAFKA_RESP_ERR__INVALID_ARG);
  }
  rd_kafka_conf_set_log_cb(conf, log_callback);
  rd_kafka_t* rk = rd_kafka_new(kind == client_kind::consumer ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER, conf,
                                err, sizeof err);
  if (!rk) {
    error_text = err;
    rd_kafka_conf_destroy(conf);
    return make_error(RD_KAFKA_RESP_ERR__INVALID_ARG);
  }
  return handle(rk);
}

}  // namespace warren::kafka
