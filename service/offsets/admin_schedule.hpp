#pragma once
// admin_schedule (PURE: no librdkafka, no Asio, no clock of its own): plans the committed-offsets
// fetches of one kafka-admin source (issue 13). librdkafka's ListConsumerGroupOffsets takes one
// group per call, so a cluster with N groups costs N requests per refresh period; this core
// decides which group is fetched when:
//   - each group has a fixed phase inside the period (a hash of its name), so the fetches of a
//     round are spread over the period instead of bursting at its start; a group seen for the
//     first time is due at once (the first full round finishes as fast as the concurrency allows);
//   - at most `max_in_flight` requests are outstanding;
//   - a failed or throttled fetch backs that group off (capped exponential), no other group;
//   - a request still in flight after `request_timeout` is counted as timed out, frees its slot
//     and is rescheduled with backoff, so one slow group never delays the others (its late
//     answer, if any, is recognised by its ticket and ignored);
//   - lag(): how far behind schedule the most overdue group is (0 when every due group started).
// Time is passed in by the caller (monotonic milliseconds). Single-threaded (the source's io thread).
// Cost: due(), completed(), next_event() and lag() are O(log N) per group started or answered (idle
// groups ordered by due time, in-flight ones by deadline), so 10 000 groups cost no scan per event;
// set_groups() is O(N log N) per listing.
#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace warren {

struct admin_schedule_options {
  std::chrono::milliseconds period{10000};           ///< every group is fetched once per period
  int max_in_flight = 8;                             ///< concurrent requests (at least 1)
  std::chrono::milliseconds request_timeout{30000};  ///< in flight longer = timed out
  std::chrono::milliseconds backoff_initial{1000};   ///< first retry delay after a failure
  std::chrono::milliseconds backoff_max{60000};      ///< cap of the exponential backoff
};

struct admin_schedule_stats {
  std::uint64_t started = 0;    ///< requests handed out by due()
  std::uint64_t succeeded = 0;
  std::uint64_t failed = 0;     ///< errors and throttling reported by completed()
  std::uint64_t throttled = 0;  ///< of failed: the broker asked to slow down
  std::uint64_t timed_out = 0;  ///< in flight past request_timeout
  std::uint64_t late = 0;       ///< answers that came after their request timed out (ignored)
};

class admin_schedule {
 public:
  using ms = std::chrono::milliseconds;
  /// One started request: the group and a ticket identifying this attempt.
  struct request {
    std::string group;
    std::uint64_t ticket = 0;
  };
  enum class outcome { ok, error, throttled };

  explicit admin_schedule(admin_schedule_options o);

  /// The groups the cluster lists now. New ones are due at `now`; missing ones are forgotten
  /// (an in-flight request for one is ignored when it completes).
  void set_groups(const std::vector<std::string>& groups, ms now);
  /// Times out overdue requests, then starts due groups (most overdue first) while slots are free.
  std::vector<request> due(ms now);
  /// The answer to a request. Returns false (and changes nothing) for an unknown or stale ticket:
  /// the group was forgotten or its request had timed out. `retry_after` (throttling) is a lower
  /// bound for the next attempt.
  bool completed(const request& r, outcome o, ms now, ms retry_after = ms{0});

  /// When due() next has something to do: the earliest due time of an idle group or deadline of
  /// an in-flight request; nullopt when there are no groups.
  std::optional<ms> next_event() const;
  /// How far behind schedule the most overdue idle group is at `now` (0 = on schedule).
  ms lag(ms now) const;
  /// Every group known now has been fetched successfully or failed at least once since it appeared.
  bool round_complete() const;
  std::size_t groups() const { return groups_.size(); }
  std::size_t in_flight() const { return in_flight_; }
  const admin_schedule_stats& stats() const { return stats_; }
  const admin_schedule_options& options() const { return options_; }

  /// The group's phase inside the period, [0, period): FNV-1a of the name (stable across runs).
  static ms phase_of(const std::string& group, ms period);

 private:
  struct entry {
    ms due{0};            ///< next start when idle
    ms deadline{0};       ///< request_timeout end when in flight
    ms phase{0};
    std::uint64_t ticket = 0;  ///< current attempt when in flight, else 0
    int failures = 0;
    bool tried = false;   ///< answered (ok or error) or timed out at least once
  };
  using keyed = std::pair<ms, std::string>;  // (due or deadline, group)
  ms next_phase_after(const entry& e, ms now) const;
  ms backoff(int failures) const;
  void fail(const std::string& group, entry& e, ms now, ms retry_after);
  void make_idle(const std::string& group, entry& e, ms due);

  admin_schedule_options options_;
  std::unordered_map<std::string, entry> groups_;
  std::set<keyed> idle_;       ///< groups not in flight, by due time (then name)
  std::set<keyed> deadlines_;  ///< groups in flight, by deadline
  std::size_t in_flight_ = 0;
  std::size_t untried_ = 0;
  std::uint64_t next_ticket_ = 1;
  admin_schedule_stats stats_;
};

}  // namespace warren
