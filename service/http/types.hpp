#pragma once
// Plain request/response values passed between the Beast session and the (Beast-free) handlers.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
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

/// A body produced in pieces while it is written (large bodies: /metrics), sent with HTTP/1.1
/// chunked transfer encoding. io thread only. The server calls next() until it returns false; each
/// call does a bounded amount of work (a few ms at most) so other requests interleave, and may
/// leave `pieces` empty (work done, nothing to write yet: the server yields and calls again).
/// The views stay valid until the following next() call or the source's destruction.
class body_source {
 public:
  virtual ~body_source() = default;
  /// Replaces `pieces` with the next views of the body; false once the body is complete (pieces
  /// may still hold its last views).
  virtual bool next(std::vector<std::string_view>& pieces) = 0;
};
/// Issue 14: the header a forwarded request carries.
inline constexpr const char* forwarded_header = "X-Warren-Forwarded";

struct response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  /// When set, the body is streamed from it instead of `body` (which stays empty).
  std::shared_ptr<body_source> stream;

  response() = default;
  response(unsigned s, std::string type, std::string b, std::vector<std::pair<std::string, std::string>> h,
           std::shared_ptr<body_source> source = {})
      : status(s), content_type(std::move(type)), body(std::move(b)), headers(std::move(h)), stream(std::move(source)) {}
  /// Issue 14: set when the answer comes later (a request forwarded to another instance): the
  /// session awaits it on the io thread and writes what it returns instead.
  std::function<task<response>()> deferred;
};

}  // namespace warren::http
