#pragma once
// Plain request/response values passed between the Beast session and the (Beast-free) handlers.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "service/core/async.hpp"

namespace warren::http {

struct request {
  std::string method;         ///< "GET", "POST", ...
  std::string target;         ///< raw request target, e.g. "/v3/kafka/a%2Fb?x=1"
  std::string path;           ///< target without the query string, still percent-encoded
  std::string body;
  std::string authorization;  ///< the Authorization header, if any
  std::string if_none_match;  ///< the If-None-Match header, if any (dashboard files' ETags)
  /// Issue 14: the request was forwarded by another instance (header X-Warren-Forwarded): answer it
  /// locally, never forward it again.
  bool forwarded = false;
};

/// Issue 14: the header a forwarded request carries.
inline constexpr const char* forwarded_header = "X-Warren-Forwarded";

struct response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  /// Issue 14: set when the answer comes later (a request forwarded to another instance): the
  /// session awaits it on the io thread and writes what it returns instead.
  std::function<task<response>()> deferred;
};

}  // namespace warren::http
