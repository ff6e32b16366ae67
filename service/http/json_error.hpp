#pragma once
// One place that builds Burrow's response envelopes: `{"error":…,"message":…,"request":{"url","host"}}`.
#include <string>
#include <string_view>

#include "service/http/types.hpp"

namespace warren::http {

/// Burrow's error body: {"error":true,"message":MESSAGE,"request":{"url":URL,"host":HOST}}.
response json_error(unsigned status, std::string_view message, std::string_view url, std::string_view host);

}  // namespace warren::http
