#include "service/offsets/admin_source.hpp"

#include <boost/asio/steady_timer.hpp>
#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "service/config/config.hpp"
#include "service/core/actor.hpp"
#include "service/core/clock.hpp"
#include "service/core/log.hpp"
#include "service/core/offload.hpp"
#include "service/core/overloaded.hpp"
#include "service/core/pattern.hpp"
#include "service/kafka/admin.hpp"
#include "service/offsets/admin_schedule.hpp"

namespace warren {
namespace {
using ms = std::chrono::milliseconds;

constexpr std::size_t describe_batch = 50;  // groups per DescribeConsumerGroups request

ms steady_now() {
  return std::chrono::duration_cast<ms>(std::chrono::steady_clock::now().time_since_epoch());
}

admin_schedule_options schedule_options(const consumer_module& m) {
  admin_schedule_options o;
  o.period = std::chrono::duration_cast<ms>(m.admin_offset_refresh);
  o.max_in_flight = m.admin_max_in_flight;
  o.request_timeout = std::chrono::duration_cast<ms>(m.admin_request_timeout);
  o.backoff_initial = std::min(ms{1000}, o.period);
  o.backoff_max = std::chrono::duration_cast<ms>(m.admin_max_backoff);
  return o;
}

// Owners as a comparable value: (topic, partition) -> (host, client id).
using owner_map = std::map<std::pair<std::string, std::int32_t>, std::pair<std::string, std::string>>;
}  // namespace

struct admin_source::impl {
  impl(asio::any_io_executor e, supervisor& sup, blocking_pool& p, const consumer_module& m, kafka::client_settings s,
       sink to, const clock& clk)
      : ex(e), pool(p), module(m), settings(std::move(s)), to_store(std::move(to)), time(clk), timer(e),
        schedule(schedule_options(m)), self(e, sup, "admin_source", m.cluster, clk) {
    allow = compile_filter(m.group_allowlist);
    deny = compile_filter(m.group_denylist);
    self.add_loop("refresh", [this] { return run(); });
    self.on_interrupt([this] {
      timer.cancel();
      if (client) client->cancel();
    });
  }

  struct known_group {
    std::map<std::pair<std::string, std::int32_t>, std::int64_t> offsets;
    owner_map owners;
    bool described = false;
  };

  asio::any_io_executor ex;
  blocking_pool& pool;
  const consumer_module& module;
  kafka::client_settings settings;
  sink to_store;
  const clock& time;
  asio::steady_timer timer;
  std::unique_ptr<kafka::admin_client> client;
  admin_schedule schedule;
  admin_source_stats stats;
  std::optional<pattern> allow, deny;
  std::unordered_map<std::string, known_group> known;       // state that survives restarts
  std::unordered_map<std::uint64_t, admin_schedule::request> offset_requests;  // request id -> ticket
  std::unordered_set<std::uint64_t> describe_requests;
  std::deque<std::string> describe_pending;
  std::uint64_t list_request = 0;  // 0 = none in flight
  ms list_sent{0}, next_list{0}, started_at{0};
  std::int64_t last_order = 0;
  bool tick_fired = false;
  std::uint64_t tick_generation = 0;
  bool mode_logged = false;
  std::string fallback_reason;  // non-empty: replaces a class kafka reader that could not read its topic
  std::function<void()> state_changed;
  actor self;  // last: its loop captures this

  static std::optional<pattern> compile_filter(const std::string& text) {
    if (text.empty()) return std::nullopt;
    auto made = pattern::compile(text);
    if (auto* e = std::get_if<pattern_error>(&made)) throw std::invalid_argument("group filter " + text + ": " + e->message);
    return std::get<pattern>(std::move(made));
  }
  bool group_allowed(const std::string& g) const {
    return (!allow || allow->search(g)) && (!deny || !deny->search(g));
  }

  int timeout_ms() const { return static_cast<int>(std::chrono::duration_cast<ms>(module.admin_request_timeout).count()); }

  void set_state(bool connected, bool caught_up) {
    if (stats.connected == connected && stats.caught_up == caught_up) return;
    stats.connected = connected;
    stats.caught_up = caught_up;
    if (state_changed) state_changed();
  }

  task<void> discard_client() {
    if (!client) co_return;
    client->stop_waking();  // io thread: the wake-up pipe belongs to it
    std::function<void()> close = [c = client.get()] { c->close(); };
    co_await pool.offload(std::move(close));
    client.reset();
  }

  task<void> run() {
    co_await discard_client();
    client = std::make_unique<kafka::admin_client>(ex, settings);
    // Requests of the previous client are gone with it: start a fresh plan (the offsets seen so
    // far are kept in `known`, so nothing is re-sent as a new commit).
    schedule = admin_schedule(schedule_options(module));
    offset_requests.clear();
    describe_requests.clear();
    describe_pending.clear();
    list_request = 0;
    next_list = steady_now();
    if (started_at.count() == 0) started_at = next_list;
    if (!mode_logged) {
      mode_logged = true;
      const auto plan = "ListConsumerGroups, DescribeConsumerGroups, ListConsumerGroupOffsets; offsets every " +
                        std::to_string(module.admin_offset_refresh.count()) + "s, groups every " +
                        std::to_string(module.admin_group_refresh.count()) + "s, " +
                        std::to_string(module.admin_max_in_flight) + " requests in flight";
      if (fallback_reason.empty())
        log_info("offsets", module.name, ": committed offsets of cluster ", module.cluster,
                 " from the Admin API (class kafka-admin: ", plan, "); rules see poll-time commits");
      else  // issue 13: the one line that says a class kafka consumer fell back, and why
        log_warn("offsets", "consumer ", module.name, " of cluster ", module.cluster, ": cannot read ",
                 module.offsets_topic, " (", fallback_reason, "); mode now kafka-admin (fallback = \"kafka-admin\"): "
                 "committed offsets from the Admin API (", plan, "); rules see poll-time commits");
    }
    while (!self.stopping()) {
      self.checkpoint();
      send_requests();
      co_await wait_next();
      if (self.stopping()) break;
      self.checkpoint();
      auto results = client->drain();
      store_cmd::batch b{module.cluster, {}};
      for (auto& r : results)
        std::visit(overloaded{[&](kafka::list_groups_result& l) { on_list(l, b.commands); },
                              [&](kafka::describe_groups_result& d) { on_describe(d, b.commands); },
                              [&](kafka::group_offsets_result& o) { on_offsets(o, b.commands); }},
                   r);
      if (!b.commands.empty()) co_await to_store(std::move(b));
      check_round();
    }
  }

  void send_requests() {
    const auto now = steady_now();
    const auto list_timeout = ms{2 * timeout_ms() + 5000};
    if (list_request != 0 && now - list_sent > list_timeout) list_request = 0;  // librdkafka never answered
    if (list_request == 0 && now >= next_list) {
      list_request = client->list_groups(timeout_ms());
      list_sent = now;
      next_list = now + std::chrono::duration_cast<ms>(module.admin_group_refresh);
    }
    while (!describe_pending.empty() &&
           describe_requests.size() < static_cast<std::size_t>(std::max(1, module.admin_max_in_flight / 4))) {
      std::vector<std::string> groups;
      while (!describe_pending.empty() && groups.size() < describe_batch) {
        groups.push_back(std::move(describe_pending.front()));
        describe_pending.pop_front();
      }
      describe_requests.insert(client->describe_groups(groups, timeout_ms()));
      ++stats.describe_requests;
    }
    const auto timed_out_before = schedule.stats().timed_out;
    for (auto& r : schedule.due(now)) {
      auto id = client->list_offsets(r.group, timeout_ms());
      offset_requests.emplace(id, std::move(r));
      ++stats.offset_requests;
    }
    stats.offset_timeouts += schedule.stats().timed_out - timed_out_before;
  }

  // Waits for results or for the next planned request, whichever comes first.
  task<void> wait_next() {
    const auto now = steady_now();
    auto at = next_list;
    if (auto e = schedule.next_event()) at = std::min(at, *e);
    // Results (which free request slots, describe ones included) wake the wait; the timer covers
    // the next due group, deadline or listing. At most 1 s, so a stop or a fault is seen promptly.
    const auto delay = std::clamp(at - now, ms{1}, ms{1000});
    tick_fired = false;
    const auto gen = ++tick_generation;
    timer.expires_after(delay);
    timer.async_wait([this, gen](const boost::system::error_code& ec) {
      if (ec || gen != tick_generation) return;
      tick_fired = true;
      if (client) client->cancel();
    });
    if (!tick_fired) co_await client->wait();
    ++tick_generation;  // a tick still queued belongs to this wait: ignore it
    timer.cancel();
  }

  void on_list(kafka::list_groups_result& l, std::vector<store_cmd::command>& out) {
    if (l.id != list_request) return;
    list_request = 0;
    const auto now = steady_now();
    if (l.error) {
      ++stats.list_errors;
      stats.last_error = "ListConsumerGroups: " + l.error.message;
      if (stats.connected) log_warn("offsets", module.name, ": cannot list groups: ", l.error.message, "; retrying");
      set_state(false, stats.caught_up);
      next_list = now + std::min(std::chrono::duration_cast<ms>(module.admin_group_refresh), ms{2000});
      return;
    }
    ++stats.list_rounds;
    stats.last_success_ms = time.wall_ms();
    if (!stats.connected) log_info("offsets", module.name, ": groups listed again");
    stats.last_error.clear();
    set_state(true, stats.caught_up);
    std::vector<std::string> listed;
    listed.reserve(l.groups.size());
    for (auto& g : l.groups) {
      if (g.state == "Dead" || !group_allowed(g.group)) continue;
      listed.push_back(g.group);
    }
    // A partial answer (a broker did not respond) may miss groups that still exist: only a
    // complete listing removes groups.
    if (l.partial_errors.empty()) {
      std::unordered_set<std::string> keep(listed.begin(), listed.end());
      for (auto it = known.begin(); it != known.end();) {
        if (keep.count(it->first)) {
          ++it;
          continue;
        }
        out.emplace_back(store_cmd::delete_group{.group = group_name{it->first}, .topic = {}});
        ++stats.groups_removed;
        it = known.erase(it);
      }
      schedule.set_groups(listed, now);
    } else {
      log_debug("offsets", module.name, ": partial group listing: ", l.partial_errors.front());
      for (const auto& [g, k] : known) listed.push_back(g);
      schedule.set_groups(listed, now);
    }
    stats.groups = schedule.groups();
    std::sort(listed.begin(), listed.end());
    listed.erase(std::unique(listed.begin(), listed.end()), listed.end());
    describe_pending.assign(listed.begin(), listed.end());
  }

  void on_describe(kafka::describe_groups_result& d, std::vector<store_cmd::command>& out) {
    if (!describe_requests.erase(d.id)) return;
    if (d.error) {
      ++stats.describe_errors;
      log_debug("offsets", module.name, ": DescribeConsumerGroups failed: ", d.error.message);
      return;
    }
    for (auto& g : d.groups) {
      if (g.error) {
        ++stats.describe_errors;
        continue;
      }
      auto it = known.find(g.group);
      if (it == known.end()) it = known.emplace(g.group, known_group{}).first;
      owner_map owners;
      for (const auto& m : g.members)
        for (const auto& [topic, parts] : m.assignment)
          for (auto p : parts) owners[{topic, p}] = {m.host, m.client_id};
      auto& k = it->second;
      if (k.described && owners == k.owners) continue;
      k.described = true;
      k.owners = std::move(owners);
      // A new assignment replaces the old one, as with the group metadata records.
      out.emplace_back(store_cmd::clear_owners{.group = group_name{g.group}});
      for (const auto& [tp, who] : k.owners)
        out.emplace_back(store_cmd::owner{.group = group_name{g.group},
                                          .topic = topic_name{tp.first},
                                          .partition = partition_id{tp.second},
                                          .host = who.first,
                                          .client_id = who.second});
    }
  }

  void on_offsets(kafka::group_offsets_result& o, std::vector<store_cmd::command>& out) {
    auto req = offset_requests.find(o.id);
    if (req == offset_requests.end()) return;
    auto r = std::move(req->second);
    offset_requests.erase(req);
    const auto now = steady_now();
    if (o.error) {
      ++stats.offset_errors;
      const auto outcome = o.error.throttled ? admin_schedule::outcome::throttled : admin_schedule::outcome::error;
      schedule.completed(r, outcome, now);
      log_debug("offsets", module.name, ": offsets of ", r.group, ": ", o.error.message);
      return;
    }
    if (!schedule.completed(r, admin_schedule::outcome::ok, now)) return;  // timed out or vanished meanwhile
    auto it = known.find(r.group);
    if (it == known.end()) it = known.emplace(r.group, known_group{}).first;
    auto& k = it->second;
    const std::int64_t wall = time.wall_ms();
    // The store orders a partition's commits by `order`: keep it increasing even if the wall clock steps back.
    const std::int64_t order = last_order = std::max(last_order + 1, wall);
    std::map<std::pair<std::string, std::int32_t>, std::int64_t> seen;
    for (const auto& c : o.offsets) {
      if (c.error || c.offset < 0) continue;
      seen[{c.topic, c.partition}] = c.offset;
    }
    for (const auto& [tp, offset] : seen) {
      auto prev = k.offsets.find(tp);
      if (prev != k.offsets.end() && prev->second == offset) {
        ++stats.unchanged;  // the same commit read again: not a new commit
        continue;
      }
      ++stats.commits;
      out.emplace_back(store_cmd::commit{.group = group_name{r.group},
                                         .topic = topic_name{tp.first},
                                         .partition = partition_id{tp.second},
                                         .offset = offset_t{offset},
                                         .order = order,
                                         .timestamp = timestamp_ms{wall}});
    }
    for (const auto& [tp, offset] : k.offsets)
      if (!seen.count(tp))  // the committed offset was deleted (or expired)
        out.emplace_back(store_cmd::forget_partition{.group = group_name{r.group},
                                                     .topic = topic_name{tp.first},
                                                     .partition = partition_id{tp.second}});
    k.offsets = std::move(seen);
  }

  void check_round() {
    stats.groups = schedule.groups();
    if (stats.caught_up || stats.list_rounds == 0 || !schedule.round_complete()) return;
    stats.first_round_ms = (steady_now() - started_at).count();
    log_info("offsets", module.name, ": first full round done: ", schedule.groups(), " groups in ",
             stats.first_round_ms, " ms");
    set_state(stats.connected, true);
  }
};

admin_source::admin_source(asio::any_io_executor ex, supervisor& sup, blocking_pool& pool, const consumer_module& module,
                           kafka::client_settings settings, sink to_store, const clock& clk)
    : impl_(std::make_unique<impl>(ex, sup, pool, module, std::move(settings), std::move(to_store), clk)) {}
admin_source::~admin_source() = default;

void admin_source::on_state_change(std::function<void()> f) { impl_->state_changed = std::move(f); }
void admin_source::fallback_from(std::string reason) { impl_->fallback_reason = std::move(reason); }
const std::string& admin_source::fallback_reason() const { return impl_->fallback_reason; }
void admin_source::start() { impl_->self.start(); }
task<void> admin_source::stop() {
  co_await impl_->self.stop();
  co_await impl_->discard_client();
}
const std::string& admin_source::name() const { return impl_->module.name; }
const std::string& admin_source::cluster() const { return impl_->module.cluster; }
const admin_source_stats& admin_source::stats() const { return impl_->stats; }
std::int64_t admin_source::schedule_lag_ms() const { return impl_->schedule.lag(steady_now()).count(); }
bool admin_source::up() const { return impl_->self.health().up; }

}  // namespace warren
