#pragma once
// ws_session: the Beast side of one `/v3/stream` connection (ws_session.cpp). Completes the
// WebSocket handshake on a connection the HTTP server handed over, then runs two coroutines on the
// io thread: the reader (client messages → ws_hub::on_text) and the writer (drains the client's
// outbox, assigns `seq`, sends the close frame). The session's state lives in its coroutine frame;
// its ws_client registration ends with it.
//
// Handshake: Sec-WebSocket-Protocol "warren.v1" is selected when offered; a request that offers
// only other subprotocols gets HTTP 400; one that offers none is accepted without a subprotocol.
// Reads: text messages up to hub_options::limits.max_frame_bytes are parsed. A larger message is
// read to its end in fixed chunks and discarded, answered with error frame_too_large, and the
// connection stays open. Beyond hub_options::hard_message_limit Beast fails the connection with
// close 1009 (message too big). Binary messages get error bad_json. Invalid UTF-8 in a text
// message makes Beast fail the connection with close 1007, as RFC 6455 requires.
// Timeouts: hub_options::handshake_timeout for both handshakes, idle_timeout with keep-alive pings.
#include <memory>

#include "service/http/upgrade.hpp"

namespace warren::ws {
class ws_hub;

/// Spawns the session coroutine for an upgraded connection on the hub's executor (io thread).
void start_session(ws_hub& hub, std::unique_ptr<http::upgrade_state, http::upgrade_state_deleter> state);

}  // namespace warren::ws
