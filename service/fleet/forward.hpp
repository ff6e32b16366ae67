#pragma once
// forward (issue 14 part 2): one HTTP/1.1 GET to another Warren instance, for `/consumer/:group`
// answered by the group's owner. The request carries X-Warren-Forwarded (the owner answers it
// locally, never forwards again) and the caller's Authorization header. Plain HTTP (advertised-url
// is http://); the whole exchange (resolve, connect, write, read) is bounded by `timeout`.
// io thread; Beast stays in forward.cpp.
#include <chrono>
#include <string>

#include "service/core/async.hpp"
#include "service/http/types.hpp"

namespace warren::fleet {

struct forward_result {
  bool ok = false;          ///< an HTTP answer came back (any status)
  http::response response;  ///< status, content type and body as the owner sent them
  std::string error;        ///< why not ok: "timed out after 2000 ms", "connection refused", ...
};

task<forward_result> forward_get(asio::any_io_executor ex, std::string base_url, std::string target,
                                 std::string authorization, std::chrono::milliseconds timeout);

}  // namespace warren::fleet
