#pragma once
// Hand-over of an HTTP connection that asked for a WebSocket upgrade. The HTTP session parses
// the request, sees `Upgrade: websocket` and passes the connection (stream, request, buffered
// bytes) to the upgrade handler, which owns it from then on. The Beast types live in
// upgrade_state.hpp, included only by .cpp files.
#include <functional>
#include <memory>
#include <string>

namespace warren::http {

struct upgrade_state;
struct upgrade_state_deleter {
  void operator()(upgrade_state* s) const noexcept;
};

struct upgrade_request {
  std::string path;  ///< the request path (no query)
  std::unique_ptr<upgrade_state, upgrade_state_deleter> state;
};

/// Returns false when the path has no WebSocket endpoint (the server then answers 404).
using upgrade_handler = std::function<bool(upgrade_request&)>;

}  // namespace warren::http
