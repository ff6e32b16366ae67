#pragma once
// The app maps config to librdkafka client settings (kafka/ knows nothing of config): a Burrow
// client profile ([client-profile.X] with its [tls.X] / [sasl.X]) becomes kafka::client_settings.
// Pure.
//
// kafka-version: librdkafka negotiates every protocol version with each broker (ApiVersionRequest,
// Kafka 0.10+), so Sarama's version pin has nothing to do there. Only a version below 0.10 is used:
// such brokers cannot answer ApiVersionRequest, so it becomes api.version.request=false and
// broker.version.fallback=VERSION. sasl handshake-first is always true (the loader rejects false).
#include <string>
#include <vector>

#include "service/kafka/client.hpp"

namespace warren {
struct config;
}

namespace warren::kafka {

/// Settings for `servers` using the client profile named `profile` (empty = "default"; a missing
/// "default" means Burrow's built-in values). Throws std::invalid_argument for any other profile
/// that `cfg` does not define (the loader reports those, so this is a programmer error).
/// client_settings::name is left empty: the caller sets it to the cluster name.
client_settings settings_for(const config& cfg, const std::vector<std::string>& servers, const std::string& profile);

/// True for a Sarama version string below 0.10 (0.8.x.y, 0.9.x.y): brokers without ApiVersionRequest.
bool predates_api_versions(const std::string& kafka_version);

/// One line per client profile used by a cluster or consumer whose kafka-version is not the default
/// ("2.8.0"), saying what Warren does with it; logged once at start.
std::vector<std::string> kafka_version_notes(const config& cfg);

}  // namespace warren::kafka
