#include "service/notifier/coordinator.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <unordered_map>

#include "service/config/config.hpp"
#include "service/core/actor.hpp"
#include "service/core/feed.hpp"
#include "service/core/log.hpp"
#include "service/core/offload.hpp"
#include "service/core/pattern.hpp"
#include "service/evaluator/group_evaluator.hpp"
#include "service/notifier/alertmanager.hpp"
#include "service/notifier/email_transport.hpp"
#include "service/notifier/http_transport.hpp"
#include "service/notifier/module_config.hpp"

namespace warren::notifier {

namespace {

std::optional<pattern> compile_or_throw(const std::string& text, const std::string& what) {
  if (text.empty()) return std::nullopt;
  auto compiled = pattern::compile(text);
  if (auto* e = std::get_if<pattern_error>(&compiled)) throw std::runtime_error(what + ": " + e->message);
  return std::get<pattern>(std::move(compiled));
}

// Groups handled per io-thread turn by the re-notification timer.
constexpr std::size_t due_slice = 256;

}  // namespace

struct coordinator::impl {
  struct module_rt {
    const notifier_module* cfg = nullptr;
    module_rules rules;
    module_templates templates;
    std::optional<pattern> allow, deny;
    std::unique_ptr<sender> out;  // null for class "null"
  };
  struct group_entry {
    std::string cluster, group;
    group_state state;
    std::optional<std::int64_t> due;
    std::vector<std::string> posted_status;  // alertmanager: status label last posted, per module
  };

  impl(asio::any_io_executor ex, supervisor& sup, group_evaluator& ev, const config& cfg, coordinator_options o,
       const clock& clk)
      : ex_(ex), evaluator(ev), options(o), clock_(clk), timer(ex), rng(std::random_device{}()) {
    for (const auto& [name, m] : cfg.notifiers) {
      module_rt rt;
      rt.cfg = &m;
      rt.rules = rules_of(m);
      std::vector<module_problem> problems;
      rt.templates = load_module(m, problems);
      if (!problems.empty())
        throw std::runtime_error("notifier." + name + "." + problems.front().key + ": " + problems.front().reason);
      for (const auto& w : rt.templates.warnings) log_warn("notifier", name, ": ", w.to_string());
      rt.allow = compile_or_throw(m.group_allowlist, "notifier." + name + ".group-allowlist");
      rt.deny = compile_or_throw(m.group_denylist, "notifier." + name + ".group-denylist");
      std::unique_ptr<transport> t;
      if (m.class_name == "http" || m.class_name == "alertmanager") {
        t = make_http_transport(ex, http_options_of(m));
      } else if (m.class_name == "email") {
        if (!pool) pool = std::make_unique<blocking_pool>(std::max(options.blocking_threads, 1));
        t = make_email_transport(*pool, email_options_of(m));
      }
      if (t) rt.out = std::make_unique<sender>(ex, name, m.class_name, options.queue_capacity, options.retry, std::move(t));
      modules.push_back(std::move(rt));
      rules.push_back(modules.back().rules);
    }
    self = std::make_unique<actor>(ex, sup, "notifier", "", clk);
    sub = std::make_unique<subscriber<status_event>>(evaluator.changes(), ex, [this](status_event& e) { on_event(e); });
    self->add_loop("status changes", [this] { return sub->drain(*self); });
    self->add_loop("re-notifications", [this] { return renotify_loop(); });
    self->add_loop("held groups", [this] { return held_loop(); });  // issue 14 part 3
    for (auto& m : modules)
      if (m.out) self->add_loop("send " + m.cfg->name, [this, s = m.out.get()] { return s->run(*self); });
    self->on_interrupt([this] {
      sub->interrupt();
      timer.cancel();
      held_timer.cancel();
      for (auto& m : modules)
        if (m.out) m.out->interrupt();
    });
  }

  static std::string key_of(const std::string& cluster, const std::string& group) { return cluster + '\0' + group; }

  bool allowed(const module_rt& m, const group_entry& g) const {
    if (!m.cfg->cluster.empty() && m.cfg->cluster != g.cluster) return false;
    // Burrow isGroupAllowed: an allowlist must match, a denylist must not.
    if (m.allow && !m.allow->search(g.group)) return false;
    if (m.deny && m.deny->search(g.group)) return false;
    return true;
  }

  std::string new_id() {
    // A random (version 4) UUID, as Burrow's uuid.NewRandom().
    std::uniform_int_distribution<std::uint64_t> d;
    std::uint64_t hi = d(rng), lo = d(rng);
    hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
    lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                  static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                  static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xffffffffffffULL));
    return buf;
  }

  void on_event(const status_event& e) {
    auto key = key_of(e.cluster, e.group);
    const auto current = evaluator.status(e.cluster, e.group);
    if (!current) {  // gone: forgotten, as Burrow's refresh forgets vanished groups
      groups.erase(key);
      return;
    }
    auto it = groups.find(key);
    if (it == groups.end()) {
      // Issue 14 part 3: a group new here waits until its handed-over state can be read.
      if (fleet.ready && !fleet.ready(e.cluster)) {
        held.emplace(key, std::make_pair(e.cluster, e.group));
        return;
      }
      it = groups.emplace(key, group_entry{e.cluster, e.group, {}, {}, {}}).first;
      adopt(it->second);
    }
    evaluate(it->first, it->second, *current);
  }

  // Issue 14 part 3: the previous owner's incident and last notifications (modules by name).
  void adopt(group_entry& g) {
    if (!fleet.adopt) return;
    auto rec = fleet.adopt(g.cluster, g.group);
    if (!rec) return;
    if (rec->incident) g.state.open = incident{rec->incident->id, rec->incident->start_ms};
    g.state.last_notify.resize(modules.size());
    for (const auto& [name, ms] : rec->last_notify)
      for (std::size_t i = 0; i < modules.size(); ++i)
        if (modules[i].cfg->name == name) g.state.last_notify[i] = ms;
    log_info("notifier", "adopted ", g.cluster, "/", g.group, rec->incident ? " incident " + rec->incident->id : std::string(" (no incident)"),
             " from the fleet's status topic");
  }

  std::optional<fleet::notifier_record> state_of(const std::string& cluster, const std::string& group) const {
    auto it = groups.find(key_of(cluster, group));
    if (it == groups.end()) return std::nullopt;
    const auto& st = it->second.state;
    fleet::notifier_record r;
    if (st.open) r.incident = fleet::notifier_record::open_incident{st.open->id, st.open->start_ms};
    for (std::size_t i = 0; i < st.last_notify.size() && i < modules.size(); ++i)
      if (st.last_notify[i]) r.last_notify.emplace_back(modules[i].cfg->name, *st.last_notify[i]);
    std::sort(r.last_notify.begin(), r.last_notify.end());
    return r;
  }

  task<void> held_loop() {
    while (!self->stopping()) {
      self->checkpoint();
      held_timer.expires_after(std::chrono::milliseconds(200));
      co_await held_timer.async_wait(use_nothrow);
      for (auto it = held.begin(); it != held.end();) {
        const auto [cluster, group] = it->second;
        if (fleet.ready && !fleet.ready(cluster)) {
          ++it;
          continue;
        }
        it = held.erase(it);
        on_event(status_event{cluster, group, status_code::notfound});
      }
    }
  }

  void evaluate(const std::string& key, group_entry& g, const group_status& current) {
    auto now = clock_.wall_ms();
    auto allow = [&](std::size_t i) { return allowed(modules[i], g); };
    const auto before_open = g.state.open ? g.state.open->id : std::string();
    const auto before_notify = g.state.last_notify;
    auto decisions = apply(rules, g.state, current.status, now, [this] { return new_id(); }, allow);
    if (fleet.changed && ((g.state.open ? g.state.open->id : std::string()) != before_open ||
                          g.state.last_notify != before_notify))
      fleet.changed(g.cluster, g.group);  // issue 14 part 3: publish the state at once
    if (!decisions.empty()) {
      // Burrow's notifier asks the evaluator with ShowAll false: .Result lists only partitions above OK.
      group_status shown = only_problems(current);
      for (const auto& d : decisions) send(g, modules[d.module], d, shown, now);
    }
    g.due = next_due(rules, g.state, current.status, allow);
    if (g.due) {
      schedule.emplace(*g.due, key);
      if (!armed || *g.due < *armed) timer.cancel();  // re-arm for the earlier time
    }
  }

  void send(group_entry& g, module_rt& m, const decision& d, const group_status& shown, std::int64_t now) {
    if (!m.out) return;  // class null: Burrow's null notifier does nothing
    notification n;
    n.cluster = g.cluster;
    n.group = g.group;
    n.kind = d.kind;
    n.at = d.at;
    n.status = shown.status;
    n.created = std::chrono::steady_clock::now();
    const bool open = d.kind == action::open;
    auto data = go_template::make_notifier_data(shown, d.at.id, timestamp_ms{d.at.start_ms}, m.cfg->extras);
    auto render = [&](const std::optional<go_template::program>& p, const char* key, std::string& out) {
      if (!p) return true;
      auto r = p->render(data);
      if (!r.ok()) {
        m.out->count_failure(std::string(key) + ": " + r.error->to_string());
        return false;
      }
      out = std::move(r.output);
      return true;
    };
    const auto& cls = m.cfg->class_name;
    if (cls == "http") {
      if (!render(open ? m.templates.url_open : m.templates.url_close, open ? "url-open" : "url-close", n.url)) return;
      if (!render(open ? m.templates.open : m.templates.close, open ? "template-open" : "template-close", n.body))
        return;
      n.method = open ? m.cfg->method_open : m.cfg->method_close;
    } else if (cls == "email") {
      if (!render(open ? m.templates.open : m.templates.close, open ? "template-open" : "template-close", n.body))
        return;
    } else if (cls == "alertmanager") {
      if (!render(open ? m.templates.url_open : m.templates.url_close, open ? "url-open" : "url-close", n.url)) return;
      alertmanager_alert a;
      a.cluster = g.cluster;
      a.group = g.group;
      if (!render(open ? m.templates.open : m.templates.close, open ? "template-open" : "template-close",
                  a.description))
        return;
      std::size_t index = static_cast<std::size_t>(&m - modules.data());
      g.posted_status.resize(modules.size());
      auto& posted = g.posted_status[index];
      a.starts_at_ms = d.at.start_ms;
      if (open) {
        a.status = std::string(to_string(shown.status));
        a.resolve_status = posted;
        posted = a.status;
      } else {
        a.status = posted.empty() ? std::string(to_string(status_code::err)) : posted;
        a.ends_at_ms = now;
        posted.clear();
      }
      n.body = alertmanager_body(a, now);
      n.method = "POST";
    }
    m.out->enqueue(std::move(n));
  }

  task<void> renotify_loop() {
    while (!self->stopping()) {
      self->checkpoint();
      auto now = clock_.wall_ms();
      if (schedule.empty() || schedule.begin()->first > now) {
        armed = schedule.empty() ? std::nullopt : std::optional<std::int64_t>(schedule.begin()->first);
        if (armed) timer.expires_after(std::chrono::milliseconds(*armed - now));
        else timer.expires_at(std::chrono::steady_clock::time_point::max());
        co_await timer.async_wait(use_nothrow);
        armed.reset();
        continue;
      }
      for (std::size_t n = 0; n < due_slice && !schedule.empty() && schedule.begin()->first <= now; ++n) {
        auto node = schedule.extract(schedule.begin());
        auto it = groups.find(node.mapped());
        if (it == groups.end() || it->second.due != node.key()) continue;  // stale entry
        it->second.due.reset();
        if (const auto current = evaluator.status(it->second.cluster, it->second.group))
          evaluate(it->first, it->second, *current);
      }
      co_await asio::post(ex_, asio::use_awaitable);
    }
  }

  asio::any_io_executor ex_;
  group_evaluator& evaluator;
  coordinator_options options;
  const clock& clock_;
  std::unique_ptr<blocking_pool> pool;  // before the senders: their transports use it
  std::vector<module_rt> modules;
  std::vector<module_rules> rules;  // modules[i].rules, contiguous for apply()
  std::unordered_map<std::string, group_entry> groups;
  std::multimap<std::int64_t, std::string> schedule;  // due (wall ms) -> group key; stale entries skipped
  asio::steady_timer timer;
  asio::steady_timer held_timer{ex_};
  fleet_link fleet;  // issue 14 part 3
  std::map<std::string, std::pair<std::string, std::string>> held;  // key -> (cluster, group)
  std::optional<std::int64_t> armed;  // the due time the timer waits for
  std::mt19937_64 rng;
  // Last: their loops and handlers capture this.
  std::unique_ptr<actor> self;
  std::unique_ptr<subscriber<status_event>> sub;
};

coordinator::coordinator(asio::any_io_executor ex, supervisor& sup, group_evaluator& evaluator, const config& cfg,
                         coordinator_options options, const clock& clk)
    : impl_(std::make_unique<impl>(ex, sup, evaluator, cfg, options, clk)) {}

coordinator::~coordinator() = default;

void coordinator::start() { impl_->self->start(); }

task<void> coordinator::stop() { co_await impl_->self->stop(); }

std::vector<module_report> coordinator::report() const {
  std::vector<module_report> out;
  for (const auto& m : impl_->modules)
    if (m.out) out.push_back({m.cfg->name, m.cfg->class_name, &m.out->stats(), m.out->queued(), m.out->capacity()});
  return out;
}

void coordinator::link_fleet(fleet_link link) { impl_->fleet = std::move(link); }
std::optional<fleet::notifier_record> coordinator::state_of(const std::string& cluster, const std::string& group) const {
  return impl_->state_of(cluster, group);
}
std::size_t coordinator::held() const { return impl_->held.size(); }

std::size_t coordinator::groups() const { return impl_->groups.size(); }

std::size_t coordinator::open_incidents() const {
  std::size_t n = 0;
  for (const auto& [k, g] : impl_->groups) n += g.state.open.has_value();
  return n;
}

}  // namespace warren::notifier
