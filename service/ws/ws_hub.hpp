#pragma once
// ws_hub (actor, io thread only): the live status stream's fan-out. Subscribes to the evaluator's
// change events and queues each change into the outbox of every connected client whose
// subscriptions match it. Queuing never waits: each client has its own writer (ws_session.cpp)
// that drains its outbox, so a slow client can only fill its own outbox. Outboxes coalesce per
// group (ws_outbox.hpp); a client whose outbox is still full (limits.outbox messages or
// limits.outbox_bytes bytes) when a change for one more group arrives is sent error `slow_client`,
// closed with 1013 (try again later) and counted; its TCP connection is cut if the close has not
// gone out within `close_grace`. A client that keeps up is never closed: coalescing keeps its
// outbox at one entry per group at most, and its writer takes everything queued in each write.
//
// The hub is an actor (core/actor.hpp) with two subscriber queues of its own: status changes from
// the evaluator and cluster-health changes from the pollers/readers. Each is drained by its own
// supervised loop, so the evaluator never runs hub code and an exception here stays here.
//
// Snapshots are sliced: a subscribe matches the kept statuses in (cluster, group) order, at most
// `slice_budget` per io-thread turn (the first slice runs in the subscribe itself, so a small
// snapshot is queued at once), and queues what a slice matched as one snapshot part (split further
// at `snapshot_part_bytes`). A third supervised loop runs the remaining slices, round robin over
// clients, pausing a client while its outbox is half full. Ordering: until its last part, a
// subscription matches a change only for groups its scan has passed (those are in parts already
// queued); a change of a group not yet scanned is carried by the part that scans it later. So
// every change after the subscribe reaches the client after the part holding that group, and no
// client sees an older state after a newer one. To resume a scan in O(log n), the hub keeps an
// ordered index of the kept (cluster, group) names, fed by the evaluator's changes it drains
// (about 100 bytes per group); a group whose announcement is still queued reaches a pending
// subscription as a change, which the rule above orders correctly.
// Everything runs on the io thread: sessions call in from there, HTTP/metrics read the stats
// there. No locks.
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "service/core/async.hpp"
#include "service/core/health.hpp"
#include "service/evaluator/group_evaluator.hpp"
#include "service/http/upgrade.hpp"
#include "service/ws/ws_outbox.hpp"
#include "service/ws/ws_protocol.hpp"

namespace warren {
class actor;
class supervisor;
template <class Event>
class feed;
template <class Event>
class subscriber;
}  // namespace warren

namespace warren::ws {

struct hub_options {
  /// Frame, subscription and outbox bounds (outbox from [warren] ws-outbox).
  protocol_limits limits;
  /// A client told it is too slow (or, at shutdown, told the server is stopping) has this long to
  /// receive its close frame before the TCP connection is cut.
  std::chrono::milliseconds close_grace{2000};
  /// Keep-alive: after half of this without a frame from the peer a ping is sent; after all of it
  /// the connection is closed (Beast's idle timeout with keep_alive_pings).
  std::chrono::seconds idle_timeout{60};
  /// Opening and closing handshake deadline.
  std::chrono::seconds handshake_timeout{10};
  /// Beast's hard message limit: a larger message fails the connection (close 1009). Below it,
  /// messages over limits.max_frame_bytes are discarded as they arrive and answered with
  /// error frame_too_large; the connection survives.
  std::size_t hard_message_limit = 16 * 1024 * 1024;
  /// Reported in the hello.
  std::string server_version = "warren";
  /// Snapshot slicing: matching work per io-thread turn, and the size at which a part is closed.
  std::chrono::microseconds slice_budget{2000};
  std::size_t snapshot_part_bytes = 256 * 1024;
};

struct hub_stats {
  std::uint64_t connections_total = 0;  ///< accepted WebSocket connections
  std::uint64_t slow_closes = 0;        ///< clients closed because their outbox overflowed
  std::uint64_t messages_sent = 0;      ///< messages written, all types (a batch frame counts its messages)
  std::uint64_t frames_sent = 0;        ///< WebSocket frames written (one per message for warren.v1 clients)
  std::uint64_t messages_coalesced = 0; ///< status/removed messages replaced by a newer one before sending
  std::uint64_t messages_dropped = 0;   ///< messages discarded from slow clients' outboxes
  std::uint64_t errors_sent = 0;        ///< error messages queued (bad requests)
  std::uint64_t snapshot_parts = 0;     ///< snapshot parts queued
  std::uint64_t snapshot_slices = 0;    ///< snapshot matching slices run
  double longest_snapshot_slice_seconds = 0;  ///< longest single io-thread turn of a snapshot slice
};

/// Issue 14: a fleet's view for the stream, so that every instance streams every group. Groups
/// this instance does not evaluate come from the fleets' status topics (their owners' rendered
/// status objects); the ones it evaluates in a fleet's cluster get this instance as their owner.
/// Implemented over fleet::fleet_status by the app. io thread only.
class fleet_view {
 public:
  virtual ~fleet_view() = default;
  /// The owner's status object of a group at `detail`, owner fields added; nullopt when no
  /// instance published one.
  virtual std::optional<std::string> remote_object(std::string_view cluster, std::string_view group,
                                                   detail_level detail) const = 0;
  /// Whether a status topic holds a record of the group (remote_object would return one).
  virtual bool has_remote(std::string_view cluster, std::string_view group) const = 0;
  /// Every (cluster, group) the status topics hold.
  virtual void for_each_remote(const std::function<void(std::string_view, std::string_view)>& f) const = 0;
  /// A status object evaluated here, with this instance named as its owner when `cluster` is a
  /// fleet's (else unchanged).
  virtual std::string own(std::string_view cluster, std::string status_object) const = 0;
};

class ws_hub;
struct filter_slot;  // a distinct subscription filter (ws_hub.cpp)

/// One connected client as the hub sees it. Lives in its session's coroutine frame; constructing
/// it registers with the hub (and queues the hello), destroying it unregisters.
class ws_client {
 public:
  /// `batch`: the connection speaks warren.v2 (its writer may send batch frames; its hello says so).
  ws_client(ws_hub& hub, std::function<void()> wake, bool batch = false);
  ~ws_client();
  ws_client(const ws_client&) = delete;
  ws_client& operator=(const ws_client&) = delete;

  ws_outbox outbox;
  std::uint64_t seq = 0;         ///< seq of the last message written
  bool closing = false;          ///< no more messages are queued; the writer closes after the outbox
  const bool batch;               ///< warren.v2: several messages may share a frame
  std::uint16_t close_code = 1000;
  std::string close_reason;

  /// Wakes the writer (set by the session; may be called in any state).
  void wake() const { wake_(); }

 private:
  friend class ws_hub;
  struct sub {
    std::string id;
    detail_level detail;
    filter_slot* filter;
    // Snapshot progress: while `pending`, the scan has passed (after_cluster, after_group)
    // inclusive when `scanned_any`; `part` is the next part's number.
    bool pending = false;
    bool scanned_any = false;
    std::string after_cluster, after_group;
    std::size_t part = 0;
    /// Whether a change of (cluster, group) is for this subscription now (see ws_hub.hpp).
    /// `change`: its index in the hub's current turn.
    bool wants(std::size_t change, std::string_view cluster, std::string_view group) const;
  };
  ws_hub* hub_;
  std::function<void()> wake_;
  std::vector<sub> subs_;
  std::list<ws_client*>::iterator reg_;
  bool snapshotting_ = false;  // in ws_hub::snapshotting_ (has a pending subscription)
  std::list<ws_client*>::iterator snap_reg_;
};

class ws_hub {
 public:
  /// The current freshness of a cluster (for cluster messages).
  using freshness_query = std::function<cluster_freshness(const std::string& cluster)>;

  ws_hub(asio::any_io_executor ex, supervisor& sup, group_evaluator& evaluator, feed<cluster_event>& cluster_changes,
         std::vector<std::string> clusters, hub_options options, freshness_query freshness);
  ~ws_hub();
  ws_hub(const ws_hub&) = delete;
  ws_hub& operator=(const ws_hub&) = delete;

  /// Starts draining the evaluator's changes.
  void start();
  /// Refuses new connections and closes every client (error shutting_down, then close 1001 after
  /// its queued messages, cut after close_grace). Sessions end on their own; the drain loops end.
  task<void> stop();
  bool stopping() const { return stopping_; }

  /// The http::server_options::upgrade handler: takes connections for `/v3/stream`, false otherwise.
  bool handle_upgrade(http::upgrade_request& up);

  /// The evaluator's subscriber; public so benchmarks can drive the fan-out directly.
  void on_change(const group_status_changed& ev);
  /// Changes passed between begin_changes() and the matching end_changes() are one turn, fanned
  /// out at end_changes(): each client is visited once per turn, and a client that wants every
  /// change of the turn at one detail level gets them as one shared outbox entry (ws_outbox.hpp).
  /// The evaluator's changes are a turn per drain slice; a change outside a turn is sent at once.
  void begin_changes();
  void end_changes();
  /// Issue 14: streams the groups of `fleet` too (the statuses other instances publish); set once,
  /// when the fleets start. `fleet` must outlive the hub's use of it (until stop()).
  void set_fleet(const fleet_view* fleet);
  /// A fleet's record of a group changed (fleet_status's remote listener): a change for clients
  /// when this instance does not evaluate the group itself (its own evaluation wins).
  void on_remote(const std::string& cluster, const std::string& group, status_code previous);
  /// A cluster's freshness may have changed: clients covering it get a cluster message when it did.
  void on_cluster(const std::string& cluster);

  // ---- for ws_session.cpp ----
  /// A text message from the client: parsed and answered (snapshot, unsubscribed, pong, error).
  void on_text(ws_client& c, std::string_view text);
  /// A message that broke a rule before it could be parsed (binary, too large).
  void on_rejected(ws_client& c, error_code code, std::string message);
  /// A frame holding `messages` messages was written to a client (wakes snapshot slices waiting for
  /// outbox room).
  void note_sent(std::size_t messages = 1);
  asio::any_io_executor executor() const { return ex_; }
  const hub_options& options() const { return options_; }

  std::size_t clients() const { return clients_.size(); }
  const hub_stats& stats() const { return stats_; }

 private:
  friend class ws_client;
  void attach(ws_client& c);
  void detach(ws_client& c);
  void queue(ws_client& c, server_message m, bool barrier = false);
  /// Adds a change of (cluster, group) to the turn (fanned out now when no turn is held); `make`
  /// builds the payload at a detail level, at most once per level a matching subscription wants.
  void fan_out(std::string_view cluster, std::string_view group,
               const std::function<change_payload(detail_level)>& make, bool same_for_all_details);
  /// The fleet's status of a group this instance does not evaluate, as a change to send.
  void send_remote(const std::string& cluster, const std::string& group, status_code previous);
  void too_slow(ws_client& c);
  void subscribe(ws_client& c, subscribe_request r);
  void unsubscribe(ws_client& c, const std::string& id);
  void release(filter_slot* f, detail_level d);
  /// Queues the current turn's changes into the outboxes of the clients that want them.
  void flush_turn();
  /// Runs one snapshot slice of c's first pending subscription; false when c has none left.
  bool snapshot_slice(ws_client& c);
  void finish_snapshot(ws_client& c, ws_client::sub& s);
  void want_snapshot(ws_client& c);
  void forget_snapshots(ws_client& c);
  task<void> snapshot_loop();

  asio::any_io_executor ex_;
  group_evaluator& evaluator_;
  std::vector<std::string> clusters_;
  hub_options options_;
  hub_stats stats_;
  bool stopping_ = false;
  std::list<ws_client*> clients_;
  std::list<filter_slot> filters_;  // distinct filters, shared by subscriptions; matched once per change
  struct turn_change {
    std::shared_ptr<const change_payload> full, summary;  // null: no subscription wants that level
  };
  std::vector<turn_change> turn_;  // changes waiting for end_changes()
  int holding_ = 0;                // begin_changes() depth
  bool slice_open_ = false;        // the evaluator's drain slice holds a turn
  std::uint64_t next_sub_ = 0;
  freshness_query freshness_;
  const fleet_view* fleet_ = nullptr;
  std::map<std::string, cluster_freshness, std::less<>> sent_freshness_;  // last state announced per cluster
  std::set<std::string, std::less<>> kept_keys_;  // change_key of every kept group, in scan order
  std::list<ws_client*> snapshotting_;  // clients with a pending snapshot, served round robin
  asio::steady_timer snapshot_wake_;    // the snapshot loop sleeps on it while nothing can progress
  bool snapshot_waiting_ = false;
  // Last: their loops and handlers capture this.
  std::unique_ptr<actor> self_;
  std::unique_ptr<subscriber<status_event>> status_sub_;
  std::unique_ptr<subscriber<cluster_event>> cluster_sub_;
};

}  // namespace warren::ws
