#pragma once
// PURE bearer-token checks for Warren's own API ([warren] admin-token, read-token, metrics-token).
// No I/O, callable from any thread; tested without sockets (tests/unit/http/auth_test.cpp) and
// fuzzed (tests/fuzz/http_request.cpp).
//
// Who needs what (every token is optional; a class of requests whose tokens are all unset is open):
// - open: /burrow/admin and /burrow/admin/ready (liveness and readiness probes), the dashboard's
//   static files (`/` and /dashboard/:file: the page then asks for the read token), and answers
//   that carry no data (the catch-all 404, trailing-slash redirects, 405 and OPTIONS).
// - read: every other GET/HEAD, including /v3/stream upgrades. Accepts read-token or admin-token.
// - metrics: GET /metrics. Accepts metrics-token when set, else read-token; admin-token always.
// - admin: DELETE and POST. Accepts admin-token; when admin-token is unset but read-token is set,
//   read-token (a deployment that protects its reads does not leave its writes open).
// Tokens are compared in constant time (for a given length of the configured token); the scheme
// `Bearer` is case-insensitive (RFC 7235), followed by one or more spaces.
#include <string>
#include <string_view>

namespace warren::http {

enum class access { open, read, metrics, admin };

/// The configured secrets. Never logged, rendered or echoed.
struct api_tokens {
  std::string admin;    // secret: never rendered
  std::string read;     // secret: never rendered
  std::string metrics;  // secret: never rendered
};

/// The class of a routed request: POST/DELETE (any other non-GET method too) are admin, GET /metrics
/// is metrics, GET /burrow/admin[/ready] is open, every other GET/HEAD is read. `path` is the
/// route pattern or the literal path (both spell these three paths the same).
access access_for(std::string_view method, std::string_view path);

/// The token of an `Authorization: Bearer TOKEN` header value; empty when the header is absent,
/// uses another scheme or carries no token.
std::string_view bearer_token(std::string_view authorization);

/// The token a browser offers on a WebSocket upgrade, where it cannot set Authorization: a
/// Sec-WebSocket-Protocol entry `warren.bearer.<base64url of the token, no padding>` beside the
/// real subprotocol (e.g. `warren.v1, warren.bearer.c2VjcmV0`; the server answers with warren.v1
/// only). Empty when there is none or it does not decode. The token is then checked like a
/// Bearer header (constant time); it is never logged.
std::string subprotocol_bearer_token(std::string_view sec_websocket_protocol);

/// Equal contents, in time that depends only on the lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

/// Does `authorization` (the raw header value) grant `needed`?
bool authorized(const api_tokens& tokens, access needed, std::string_view authorization);

/// The 401 message for `needed`: "admin token required", "read token required", "metrics token
/// required". Never contains a token.
std::string_view unauthorized_message(access needed);

/// The WWW-Authenticate value of every 401.
inline constexpr std::string_view www_authenticate = "Bearer realm=\"warren\"";

}  // namespace warren::http
