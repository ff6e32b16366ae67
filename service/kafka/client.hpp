#pragma once
// RAII owners for librdkafka objects and the settings that build a client. This folder is the only
// one that includes librdkafka; elsewhere its types are opaque. Destroying a client handle blocks
// (it waits for librdkafka's threads): destroy it through blocking_pool, never on the io thread.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "service/core/result.hpp"

struct rd_kafka_s;
struct rd_kafka_queue_s;
struct rd_kafka_topic_partition_list_s;

namespace warren::kafka {

struct handle_deleter {
  void operator()(rd_kafka_s* rk) const noexcept;
};
struct queue_deleter {
  void operator()(rd_kafka_queue_s* q) const noexcept;
};
struct partition_list_deleter {
  void operator()(rd_kafka_topic_partition_list_s* l) const noexcept;
};
using handle = std::unique_ptr<rd_kafka_s, handle_deleter>;
using queue = std::unique_ptr<rd_kafka_queue_s, queue_deleter>;
using partition_list = std::unique_ptr<rd_kafka_topic_partition_list_s, partition_list_deleter>;

/// Everything needed to connect: bootstrap servers and librdkafka properties derived from a
/// Burrow client profile (client id, TLS, SASL).
struct client_settings {
  std::vector<std::string> servers;
  std::string client_id = "burrow-lagchecker";
  std::map<std::string, std::string> properties;  ///< extra librdkafka properties, applied last
};

enum class client_kind { consumer, producer };

/// Builds a client. Errors carry librdkafka's message (bad property, bad value).
result<handle> make_client(client_kind kind, const client_settings& settings,
                           const std::map<std::string, std::string>& extra, std::string& error_text);

std::string join_servers(const std::vector<std::string>& servers);

/// librdkafka error code → boost error_code (category "librdkafka").
boost::system::error_code make_error(int rd_kafka_resp_err);

}  // namespace warren::kafka
