#pragma once
// Maps a Burrow client profile ([client-profile.X] with its [tls.X] / [sasl.X]) to librdkafka
// client settings. Pure.
#include <string>
#include <vector>

#include "service/kafka/client.hpp"

namespace warren {
struct config;
}

namespace warren::kafka {

/// Settings for `servers` using the client profile named `profile` (empty = "default").
client_settings settings_for(const config& cfg, const std::vector<std::string>& servers, const std::string& profile);

}  // namespace warren::kafka
