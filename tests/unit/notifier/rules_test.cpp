// Burrow's notifier decision rules (reference §f), table-driven with a manual clock.
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "service/notifier/rules.hpp"
#include "tests/support/manual_clock.hpp"

using namespace warren;
using namespace warren::notifier;
using namespace std::chrono_literals;

namespace {
struct fixture {
  test::manual_clock clk;
  int ids = 0;
  std::function<std::string()> new_id = [this] { return "incident-" + std::to_string(++ids); };
  std::function<bool(std::size_t)> all = [](std::size_t) { return true; };

  std::vector<decision> run(const std::vector<module_rules>& m, group_state& g, status_code s) {
    return apply(m, g, s, clk.wall_ms(), new_id, all);
  }
};

module_rules rules(int threshold, bool send_close, bool send_once = false) {
  module_rules r;
  r.threshold = threshold;
  r.send_close = send_close;
  r.send_once = send_once;
  r.send_interval = 60s;
  r.interval = 60s;
  return r;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(notifier_rules)

// Burrow's coordinator_test notifyModuleTests, as §f lists them: threshold / status / open
// incident before / send-close / send-once+already-notified -> open sent? close sent? incident after.
BOOST_AUTO_TEST_CASE(burrow_notify_module_matrix) {
  struct row {
    int threshold;
    status_code status;
    bool existing;
    bool send_close;
    bool already_notified_send_once;
    bool expect_open;
    bool expect_close;
    bool expect_incident_after;
  };
  const std::vector<row> table = {
      // 1/OK/no/* -> open sent (threshold 1 is a heartbeat), no incident
      {1, status_code::ok, false, false, false, true, false, false},
      {1, status_code::ok, false, true, false, true, false, false},
      // 1/OK/yes/no -> open sent, the incident ends
      {1, status_code::ok, true, false, false, true, false, false},
      // 1/OK/yes/yes -> close sent
      {1, status_code::ok, true, true, false, false, true, false},
      // 1/WARN/* -> open sent, incident created (or kept)
      {1, status_code::warn, false, false, false, true, false, true},
      {1, status_code::warn, false, true, false, true, false, true},
      {1, status_code::warn, true, false, false, true, false, true},
      {1, status_code::warn, true, true, false, true, false, true},
      // 1/WARN/yes/yes with send-once and already notified -> nothing
      {1, status_code::warn, true, true, true, false, false, true},
      // 3/WARN/* -> nothing, but the incident is created
      {3, status_code::warn, false, false, false, false, false, true},
      {3, status_code::warn, false, true, false, false, false, true},
      {3, status_code::warn, true, true, false, false, false, true},
      // 2/OK/no/* -> nothing
      {2, status_code::ok, false, false, false, false, false, false},
      {2, status_code::ok, false, true, false, false, false, false},
      // 2/OK/yes/no -> nothing
      {2, status_code::ok, true, false, false, false, false, false},
      // 2/OK/yes/yes -> close sent
      {2, status_code::ok, true, true, false, false, true, false},
      // ERR passes threshold 2 and 3
      {2, status_code::err, false, false, false, true, false, true},
      {3, status_code::err, false, true, false, true, false, true},
  };
  int n = 0;
  for (const auto& r : table) {
    BOOST_TEST_CONTEXT("row " << n++ << ": threshold " << r.threshold << " status " << to_string(r.status)) {
      fixture f;
      auto m = rules(r.threshold, r.send_close, r.already_notified_send_once);
      group_state g;
      if (r.existing) g.open = incident{"existing", f.clk.wall_ms() - 1000};
      g.last_notify.resize(1);
      if (r.already_notified_send_once) g.last_notify[0] = f.clk.wall_ms() - 3'600'000;
      auto out = f.run({m}, g, r.status);
      bool open = !out.empty() && out[0].kind == action::open;
      bool close = !out.empty() && out[0].kind == action::close;
      BOOST_TEST(out.size() <= 1u);
      BOOST_TEST(open == r.expect_open);
      BOOST_TEST(close == r.expect_close);
      BOOST_TEST(g.open.has_value() == r.expect_incident_after);
      if (r.expect_incident_after && !r.existing) {
        BOOST_TEST(g.open->id == "incident-1");
        BOOST_TEST(g.open->start_ms == f.clk.wall_ms());
      }
      if (close) {
        BOOST_TEST(out[0].at.id == "existing");  // the close names the incident that ended
        BOOST_TEST(!g.last_notify[0].has_value());
      }
      if (open) BOOST_TEST(*g.last_notify[0] == f.clk.wall_ms());
    }
  }
}

BOOST_AUTO_TEST_CASE(open_repeats_only_after_more_than_send_interval) {
  fixture f;
  std::vector<module_rules> m{rules(2, true)};
  group_state g;
  BOOST_TEST(f.run(m, g, status_code::err).size() == 1u);
  auto id = g.open->id;
  f.clk.advance_ms(60'000);  // exactly send-interval: Burrow's `>` is strict
  BOOST_TEST(f.run(m, g, status_code::err).empty());
  BOOST_TEST(*next_due(m, g, status_code::err, f.all) == f.clk.wall_ms() + 1);
  f.clk.advance_ms(1);
  auto again = f.run(m, g, status_code::err);
  BOOST_REQUIRE(again.size() == 1u);
  BOOST_TEST(again[0].at.id == id);  // same incident
  // A change of status within send-interval does not re-notify.
  f.clk.advance_ms(10'000);
  BOOST_TEST(f.run(m, g, status_code::warn).empty());
}

BOOST_AUTO_TEST_CASE(send_once_notifies_once_per_incident_with_send_close) {
  fixture f;
  std::vector<module_rules> m{rules(2, true, true)};
  group_state g;
  BOOST_TEST(f.run(m, g, status_code::err).size() == 1u);
  f.clk.advance_ms(3'600'000);
  BOOST_TEST(f.run(m, g, status_code::err).empty());
  BOOST_TEST(!next_due(m, g, status_code::err, f.all).has_value());
  auto close = f.run(m, g, status_code::ok);
  BOOST_REQUIRE(close.size() == 1u);
  BOOST_TEST((close[0].kind == action::close));
  // A new incident notifies again: the close reset LastNotify.
  auto open = f.run(m, g, status_code::warn);
  BOOST_REQUIRE(open.size() == 1u);
  BOOST_TEST(open[0].at.id == "incident-2");
}

BOOST_AUTO_TEST_CASE(send_once_without_send_close_notifies_once_for_the_life_of_the_process) {
  fixture f;
  std::vector<module_rules> m{rules(2, false, true)};
  group_state g;
  BOOST_TEST(f.run(m, g, status_code::err).size() == 1u);
  BOOST_TEST(f.run(m, g, status_code::ok).empty());
  BOOST_TEST(!g.open.has_value());
  f.clk.advance_ms(86'400'000);
  BOOST_TEST(f.run(m, g, status_code::err).empty());  // Burrow's documented consequence
  BOOST_TEST(g.open->id == "incident-2");             // the incident itself is new
}

BOOST_AUTO_TEST_CASE(close_is_sent_for_an_incident_whose_open_stayed_below_threshold) {
  fixture f;
  std::vector<module_rules> m{rules(3, true)};
  group_state g;
  BOOST_TEST(f.run(m, g, status_code::warn).empty());
  BOOST_TEST(g.open.has_value());
  auto out = f.run(m, g, status_code::ok);
  BOOST_REQUIRE(out.size() == 1u);
  BOOST_TEST((out[0].kind == action::close));
}

BOOST_AUTO_TEST_CASE(modules_decide_independently_and_filters_skip_modules) {
  fixture f;
  std::vector<module_rules> m{rules(2, true), rules(3, false), rules(2, true)};
  group_state g;
  auto skip_third = [](std::size_t i) { return i != 2; };
  auto out = apply(m, g, status_code::warn, f.clk.wall_ms(), f.new_id, skip_third);
  BOOST_REQUIRE(out.size() == 1u);
  BOOST_TEST(out[0].module == 0u);
  f.clk.advance_ms(1000);
  out = apply(m, g, status_code::err, f.clk.wall_ms(), f.new_id, skip_third);
  BOOST_REQUIRE(out.size() == 1u);  // module 0 inside send-interval; module 1 reaches its threshold
  BOOST_TEST(out[0].module == 1u);
  out = apply(m, g, status_code::ok, f.clk.wall_ms(), f.new_id, skip_third);
  BOOST_REQUIRE(out.size() == 1u);
  BOOST_TEST(out[0].module == 0u);
  BOOST_TEST((out[0].kind == action::close));
}

BOOST_AUTO_TEST_CASE(notfound_is_ignored) {
  fixture f;
  std::vector<module_rules> m{rules(1, true)};
  group_state g;
  BOOST_TEST(f.run(m, g, status_code::notfound).empty());
  BOOST_TEST(!g.open.has_value());
}

BOOST_AUTO_TEST_CASE(re_notification_waits_for_the_longer_of_send_interval_and_interval) {
  fixture f;
  auto r = rules(2, false);
  r.send_interval = 0s;  // Burrow still re-evaluates only once per interval
  r.interval = 30s;
  std::vector<module_rules> m{r};
  group_state g;
  BOOST_TEST(f.run(m, g, status_code::err).size() == 1u);
  BOOST_TEST(*next_due(m, g, status_code::err, f.all) == f.clk.wall_ms() + 30'001);
  BOOST_TEST(!next_due(m, g, status_code::ok, f.all).has_value());  // below threshold: nothing due
}

BOOST_AUTO_TEST_SUITE_END()
