#pragma once
// A WebSocket client for tests of the live status stream (Beast, loopback only). Blocking: every
// call runs the client's io_context on the calling thread until it is done or its deadline passes.
// Once connected the client keeps a read pending and collects every message in an inbox (unless
// `read_automatically` is off: a client that never reads). Several clients may share one
// io_context (many-client tests): running it for one client also delivers the others' messages.
// Not thread-safe; use from one test thread.
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/json/value.hpp>

namespace warren::test {

struct ws_client_options {
  std::string target = "/v3/stream";
  std::string subprotocol = "warren.v1";  ///< offered in Sec-WebSocket-Protocol; empty = none
  int receive_buffer = 0;                 ///< SO_RCVBUF before connecting; 0 = system default
  bool read_automatically = true;         ///< false: never read (a deliberately slow client)
  std::chrono::milliseconds deadline = std::chrono::seconds(10);  ///< connect + handshake
};

class ws_test_client {
 public:
  /// Connects to 127.0.0.1:port and completes the handshake; throws std::runtime_error on failure.
  /// With `shared`, the client runs on that io_context (which must outlive it).
  explicit ws_test_client(std::uint16_t port, ws_client_options options = {},
                          boost::asio::io_context* shared = nullptr);
  ~ws_test_client();
  ws_test_client(const ws_test_client&) = delete;
  ws_test_client& operator=(const ws_test_client&) = delete;

  /// The subprotocol the server selected ("" when none).
  const std::string& subprotocol() const;

  /// Sends a text (or binary) message; throws on failure or when the deadline passes.
  void send(const std::string& text, std::chrono::milliseconds deadline = std::chrono::seconds(10));
  void send_binary(const std::string& bytes, std::chrono::milliseconds deadline = std::chrono::seconds(10));
  /// Sends a JSON value as text.
  void send_json(const boost::json::value& v, std::chrono::milliseconds deadline = std::chrono::seconds(10));

  /// The next message, waiting up to `deadline`; nullopt on timeout or when the connection ended.
  std::optional<std::string> read(std::chrono::milliseconds deadline);
  /// The next message parsed as JSON (throws if it is not JSON); nullopt as read().
  std::optional<boost::json::value> read_json(std::chrono::milliseconds deadline);
  /// Reads until a message satisfies `pred` (messages before it are returned in `skipped` when
  /// given); nullopt when the deadline passes or the connection ends first.
  std::optional<boost::json::value> read_until(const std::function<bool(const boost::json::value&)>& pred,
                                               std::chrono::milliseconds deadline,
                                               std::vector<boost::json::value>* skipped = nullptr);
  /// Messages received and not yet returned by read().
  std::size_t pending() const;

  /// True once the connection ended (close frame received, error, or reset).
  bool closed() const;
  /// Close code from the server's close frame (0 when none was received).
  std::uint16_t close_code() const;
  std::string close_reason() const;
  /// Waits up to `deadline` for the connection to end (reading and discarding messages).
  bool wait_closed(std::chrono::milliseconds deadline);

  /// Runs the io_context for up to `d` (delivers pending messages of every client sharing it).
  void run_for(std::chrono::milliseconds d);

  /// Sends a close frame (1000) and waits for the server's; no-op when closed.
  void close(std::chrono::milliseconds deadline = std::chrono::seconds(5));

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The `type` field of a server message ("" when absent).
std::string message_type(const boost::json::value& v);

}  // namespace warren::test
