#pragma once
// Plain request/response values passed between the Beast session and the (Beast-free) handlers.
#include <string>
#include <utility>
#include <vector>

namespace warren::http {

struct request {
  std::string method;         ///< "GET", "POST", ...
  std::string target;         ///< raw request target, e.g. "/v3/kafka/a%2Fb?x=1"
  std::string path;           ///< target without the query string, still percent-encoded
  std::string body;
  std::string authorization;  ///< the Authorization header, if any
  std::string if_none_match;  ///< the If-None-Match header, if any (dashboard files' ETags)
};

struct response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace warren::http
