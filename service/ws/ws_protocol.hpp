#pragma once
// The live status stream protocol (`GET /v3/stream`, subprotocol "warren.v1"), PURE: parsing of
// client messages, the subscription matcher and the text of every server message. No sockets, no
// clock; callable from any thread on its inputs. The contract is proto/ws/messages.schema.json.
//
// Framing of server messages: every message the server sends on a connection carries `seq`, which
// starts at 1 (the hello) and grows by exactly 1 per message on that connection. Because `seq` is
// only known when a message is written, a server message is kept as (type, body): the writer sends
// `{"type":"<type>","seq":<n>` followed by the body, which is either `}` or starts with `,`.
// http/burrow_json.hpp writes every status object (Burrow's `/lag` shape), nothing here repeats it.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "service/core/health.hpp"
#include "service/core/pattern.hpp"
#include "service/evaluator/rules.hpp"

namespace warren::ws {

/// The subprotocols offered in Sec-WebSocket-Protocol. A later incompatible protocol gets a new name.
/// warren.v2 is warren.v1 plus batch frames (several server messages in one text frame, see
/// batch_open): only a client that offers warren.v2 gets them; a warren.v1 client gets exactly one
/// message per frame, as before.
inline constexpr std::string_view subprotocol = "warren.v1";
inline constexpr std::string_view subprotocol_v2 = "warren.v2";
inline constexpr int protocol_version = 1;
inline constexpr int protocol_version_v2 = 2;
/// The HTTP path of the endpoint.
inline constexpr std::string_view stream_path = "/v3/stream";

/// Limits a client is told about in the hello.
struct protocol_limits {
  std::size_t max_frame_bytes = 64 * 1024;  ///< larger client messages get error frame_too_large
  std::size_t max_subscriptions = 64;       ///< per connection
  std::size_t outbox = 1024;                ///< queued messages before a client is closed as too slow
  /// Bytes of queued message text (shared bodies counted in full for every client that queues them)
  /// before a client is closed as too slow: bounds one client's memory whatever the message sizes.
  /// An empty outbox always takes one message, however large.
  std::size_t outbox_bytes = 4 * 1024 * 1024;
};
inline constexpr std::size_t max_id_length = 128;
/// A pattern is searched in a group name only when pattern::worst_case_steps(name size) is at most
/// this (about 10 ms in RE2's slowest mode, microseconds usually); longer names never match that
/// pattern. Bounds a single search on the io thread whatever the client sends and however long a
/// group name is: `^(a|b)*c` (4 instructions) is searched in names up to 128 KiB, `(.*){40}x`
/// (364 instructions) in names up to 1440 bytes.
inline constexpr std::size_t max_match_steps = 512 * 1024;

enum class detail_level : std::uint8_t { summary, full };
std::string_view to_string(detail_level d);

/// Error codes of `{"type":"error"}`; spelled by to_string.
enum class error_code : std::uint8_t {
  bad_json,                ///< not JSON, not an object, or a binary frame
  bad_request,             ///< a field missing, of the wrong type, or out of range
  unknown_type,            ///< `type` is not subscribe, unsubscribe or ping
  bad_pattern,             ///< `pattern` is not valid RE2/Go syntax, or too long or too large once compiled
  unknown_cluster,         ///< `cluster` is not configured
  unknown_subscription,    ///< unsubscribe of an id this connection does not have
  too_many_subscriptions,  ///< more than protocol_limits::max_subscriptions
  frame_too_large,         ///< a message larger than protocol_limits::max_frame_bytes (discarded)
  slow_client,             ///< the outbox overflowed; the connection is closed next (1013)
  shutting_down,           ///< the server is stopping; the connection is closed next (1001)
};
std::string_view to_string(error_code e);

// ---- client → server ----

struct subscribe_request {
  std::string id;       ///< empty = the server assigns "s<n>"; an existing id is replaced
  std::string cluster;  ///< empty = every cluster
  std::string group;    ///< empty = every group; exact match otherwise
  std::string pattern;  ///< empty = every group; RE2/Go regexp searched (unanchored) in the group name
  detail_level detail = detail_level::full;
};
struct unsubscribe_request {
  std::string id;
};
struct ping_request {
  std::string id;  ///< echoed in the pong (optional)
};
/// A request that cannot be served; `id` is the request's id when one could be read.
struct protocol_error {
  error_code code;
  std::string message;
  std::string id;
};
using client_message = std::variant<subscribe_request, unsubscribe_request, ping_request, protocol_error>;

/// Parses one text frame. Never throws; every failure is a protocol_error (bad_json, bad_request,
/// unknown_type, bad_pattern). Unknown fields are ignored (forward compatibility).
client_message parse_client_message(std::string_view text);

// ---- the matcher ----

/// A compiled subscription filter. Cheap to test; the pattern is compiled once (RE2: linear time).
class subscription_filter {
 public:
  /// Validates against the configured clusters: unknown_cluster, bad_pattern.
  static std::variant<subscription_filter, protocol_error> make(const subscribe_request& r,
                                                                std::span<const std::string> clusters);
  bool matches(std::string_view cluster, std::string_view group) const;
  /// Same cluster, group and pattern (the detail level is not part of the filter).
  bool same_as(const subscription_filter& o) const;
  const std::string& cluster() const { return cluster_; }
  const std::string& group() const { return group_; }
  const std::string& pattern() const { return pattern_; }

 private:
  std::string cluster_, group_, pattern_;
  std::optional<warren::pattern> compiled_;  // immutable, shared by copies of this filter
};

// ---- server → client ----

/// One server message without its `{"type":…,"seq":n` head. `body` is `}` or `,…}`.
struct server_message {
  std::string_view type;  ///< a string literal
  std::string body;
};

/// `{"type":"<type>","seq":<seq>` — the head the writer puts before a body.
std::string message_head(std::string_view type, std::uint64_t seq);
/// head + body: the whole frame text (tests, examples).
std::string frame_text(const server_message& m, std::uint64_t seq);

/// `version` 2 (a warren.v2 connection) says protocol "warren.v2", version 2.
server_message hello_message(std::span<const std::string> clusters, const protocol_limits& limits,
                             std::string_view server_version, int version = protocol_version);

/// One queued message as the writer sees it: (type, body) as above.
struct message_ref {
  std::string_view type;
  std::string_view body;
};
/// warren.v2 batch frame: `{"type":"batch","messages":[m1,m2,...]}` where each m is a whole server
/// message with its own seq (consecutive); the envelope has no seq of its own.
inline constexpr std::string_view batch_type = "batch";
inline constexpr std::string_view batch_open = R"({"type":"batch","messages":[)";
inline constexpr std::string_view batch_close = "]}";
/// The text of one frame as pieces to write in order (views into `heads` and the messages' bodies,
/// which must outlive the write): `messages` numbered from `first_seq`, as a batch frame when
/// `batch` and there are at least two, else the single message (`messages` must hold one).
/// `heads` and `pieces` are cleared first. Each body is viewed, never copied.
void frame_pieces(std::span<const message_ref> messages, std::uint64_t first_seq, bool batch, std::string& heads,
                  std::vector<std::string_view>& pieces);
/// The same frame as one string (tests, examples).
std::string frame_text(std::span<const message_ref> messages, std::uint64_t first_seq, bool batch);
/// One part of a subscription's snapshot: `part` counts from 0, `last` is true on the final part
/// (a snapshot small enough to build in one turn is a single part 0 with last true).
/// `statuses_json` is the part's status objects, comma-separated, as append_snapshot_status
/// writes them (full = Burrow's `/lag` status objects, summary = see append_summary_json).
server_message snapshot_message(std::string_view id, const subscription_filter& f, detail_level detail,
                                std::size_t part, bool last, std::string_view statuses_json);
/// Appends one status to a part's `statuses_json` (with the separating comma when needed).
void append_snapshot_status(std::string& statuses_json, const group_status& g, detail_level detail);
/// A whole snapshot in one part; `statuses` in (cluster, group) order.
server_message snapshot_message(std::string_view id, const subscription_filter& f, detail_level detail,
                                std::span<const group_status* const> statuses);
/// Appends a rendered status object (fleet: another instance's, or one with owner fields).
void append_snapshot_object(std::string& statuses_json, std::string_view status_object);
/// Body of a status message (shared by every session that gets it at this detail level).
std::string status_body(const group_status& current, status_code previous, detail_level detail);
/// The same around a rendered status object (what append_json / append_summary_json write, or a
/// fleet peer's bytes of it).
std::string status_body(std::string_view cluster, std::string_view group, std::string_view status_object,
                        status_code previous, detail_level detail);
/// The status object a status message carries at `detail`.
std::string status_object(const group_status& g, detail_level detail);
/// Body of a removed message.
std::string removed_body(std::string_view cluster, std::string_view group, status_code previous);
inline constexpr std::string_view status_type = "status";
inline constexpr std::string_view removed_type = "removed";
/// Warren: a cluster's freshness changed. Sent to every client with a subscription covering the
/// cluster: `{"type":"cluster","seq":n,"cluster":…,"reachable":…,"stale":…,"as_of":…,"reason":…}`.
/// While stale, statuses of that cluster may be older than they look.
server_message cluster_state_message(std::string_view cluster, bool reachable, const cluster_freshness& f);
inline constexpr std::string_view cluster_type = "cluster";
server_message unsubscribed_message(std::string_view id);
server_message pong_message(std::string_view id);
server_message error_message(const protocol_error& e);

/// The summary object: Burrow's ConsumerGroupStatus with `partitions` empty and Warren's group `warren` kept (cluster, group,
/// status, complete, partitions [], partition_count, maxlag, totallag).
void append_summary_json(std::string& out, const group_status& g);

/// Close codes and reasons (RFC 6455 §7.4.1).
inline constexpr std::uint16_t close_going_away = 1001;      ///< server shutdown
inline constexpr std::uint16_t close_try_again_later = 1013;  ///< slow client
inline constexpr std::string_view slow_client_reason = "slow client: outbox full";
inline constexpr std::string_view shutdown_reason = "server shutting down";

/// Picks our subprotocol from a Sec-WebSocket-Protocol header value (comma-separated tokens).
/// Returns "warren.v2" when offered, else "warren.v1" when offered, "" when the header is empty
/// (accepted: no subprotocol, i.e. warren.v1), and nullopt when protocols are offered but none of
/// ours is (the upgrade is refused with 400).
std::optional<std::string_view> choose_subprotocol(std::string_view offered);

}  // namespace warren::ws
