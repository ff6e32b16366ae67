// The store → evaluator → subscriber path on one io_context, with a manual wall clock: log-end
// offsets mark the consuming groups dirty, STOP follows the broker window, leading-edge coalescing,
// removal, slicing, supervision of the store and the evaluator.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include "service/core/actor.hpp"
#include "service/core/feed.hpp"
#include "service/evaluator/coalescer.hpp"
#include "service/core/ready_gate.hpp"
#include "service/evaluator/group_evaluator.hpp"
#include "service/storage/offset_store.hpp"
#include "tests/support/io_fixture.hpp"
#include "tests/support/manual_clock.hpp"

namespace warren {
namespace {
using namespace std::chrono_literals;
using test::run_until;

constexpr std::int64_t t0 = 1'700'000'000'000;
double to_ms(std::chrono::steady_clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct pipeline {
  explicit pipeline(std::chrono::milliseconds coalesce = 20ms, int intervals = 3) : coalesce_window(coalesce) {
    storage_options so;
    so.intervals = intervals;
    store = std::make_unique<offset_store>(ioc.get_executor(), sup, so, std::vector<std::string>{"c"}, clk);
    evaluator = std::make_unique<group_evaluator>(ioc.get_executor(), sup, *store, evaluator_options{}, coalesce,
                                                  std::chrono::hours(1), clk);
    store->set_sink(evaluator->inbox());
    watcher = std::make_unique<subscriber<status_event>>(evaluator->changes(), ioc.get_executor(),
                                                         [this](status_event& e) { events.push_back(e); });
    watch_actor.add_loop("drain", [this] { return watcher->drain(watch_actor); });
    watch_actor.on_interrupt([this] { watcher->interrupt(); });
    store->start();
    evaluator->start();
    watch_actor.start();
  }
  ~pipeline() {
    bool done = false;
    asio::co_spawn(
        ioc,
        [this]() -> task<void> {
          co_await watch_actor.stop();
          co_await evaluator->stop();
          co_await store->stop();
        },
        [&](std::exception_ptr) { done = true; });
    run_until(ioc, [&] { return done; }, 5s);
  }

  void send(store_cmd::batch b) {
    asio::co_spawn(ioc, store->send(std::move(b)), asio::detached);
  }
  void broker(std::int64_t offset) {
    store_cmd::batch b{"c", {}};
    b.commands.emplace_back(store_cmd::broker_offsets{
        .topic = topic_name{"t"}, .partition_count = 1, .offsets = {offset}, .observed_at = timestamp_ms{clk.wall_ms()}});
    send(std::move(b));
  }
  void commit(const std::string& group, std::int64_t offset, std::int64_t ts, std::int64_t order) {
    store_cmd::batch b{"c", {}};
    b.commands.emplace_back(store_cmd::commit{.group = group_name{group},
                                              .topic = topic_name{"t"},
                                              .partition = partition_id{0},
                                              .offset = offset_t{offset},
                                              .order = order,
                                              .timestamp = timestamp_ms{ts}});
    send(std::move(b));
  }
  std::optional<group_status> status(const std::string& g) const { return evaluator->status("c", g); }
  bool status_is(const std::string& g, status_code s) const { return status(g) && status(g)->status == s; }
  /// The single partition's status (Burrow: a STOP partition makes the group ERR).
  bool partition_is(const std::string& g, status_code s) const {
    return status(g) && status(g)->partitions.size() == 1 && status(g)->partitions[0].status == s;
  }
  bool lag_is(const std::string& g, std::uint64_t lag) const {
    return status(g) && status(g)->partitions.size() == 1 && status(g)->partitions[0].current_lag == lag;
  }

  asio::io_context ioc;
  test::manual_clock clk{t0};
  supervisor sup{[] {
    supervision_options o;
    o.initial_backoff = 1ms;
    return o;
  }()};
  std::chrono::milliseconds coalesce_window;
  std::unique_ptr<offset_store> store;
  std::unique_ptr<group_evaluator> evaluator;
  std::vector<status_event> events;
  actor watch_actor{ioc.get_executor(), sup, "watcher", "", clock::system()};
  std::unique_ptr<subscriber<status_event>> watcher;
};

BOOST_AUTO_TEST_SUITE(group_evaluator_actor)

BOOST_AUTO_TEST_CASE(coalescer_flushes_light_traffic_at_once_and_a_storm_once_per_window) {
  using tp = coalescer::time_point;
  coalescer c(100ms, 10);
  const tp start{std::chrono::seconds(1000)};
  BOOST_TEST((c.mark(start) == start));  // a lone change: at once
  BOOST_TEST(!c.mark(start + 1ms));      // joins the pending flush
  c.flushed(start + 1ms, 2);
  BOOST_TEST((c.mark(start + 5ms) == start + 5ms));  // 2 of 10 spent: still at once
  c.flushed(start + 5ms, 9);                          // 11: the window's budget is spent
  BOOST_TEST((c.mark(start + 6ms) == start + 100ms));  // the rest of the storm waits for the window
  BOOST_TEST(!c.mark(start + 50ms));
  c.flushed(start + 100ms, 500);  // a new window, spent at once by the storm's flush
  BOOST_TEST((c.mark(start + 120ms) == start + 200ms));
  c.flushed(start + 200ms, 1);
  BOOST_TEST((c.mark(start + 500ms) == start + 500ms));  // quiet again: at once
}

BOOST_AUTO_TEST_CASE(back_to_back_lone_changes_are_each_evaluated_at_once) {
  pipeline p(400ms);
  p.broker(1000);
  for (int i = 1; i <= 5; ++i) {
    auto began = std::chrono::steady_clock::now();
    p.commit("g", 1000 - i, t0 + i * 1000, i);
    BOOST_REQUIRE(run_until(p.ioc, [&] { return p.lag_is("g", static_cast<std::uint64_t>(i)); }, 5s));
    auto took = std::chrono::steady_clock::now() - began;
    BOOST_TEST_MESSAGE("change " << i << " took " << to_ms(took) << " ms");
    BOOST_TEST((took < 200ms));
  }
}

BOOST_AUTO_TEST_CASE(lag_follows_the_log_end_without_a_new_commit) {
  pipeline p;
  p.broker(100);
  p.commit("g", 100, t0, 1);
  BOOST_REQUIRE(run_until(p.ioc, [&] { return p.lag_is("g", 0); }, 5s));
  p.clk.advance_ms(1000);
  p.broker(150);  // no commit
  BOOST_TEST(run_until(p.ioc, [&] { return p.lag_is("g", 50); }, 5s));
  BOOST_TEST(p.evaluator->stats().passes == 0u);  // not the periodic pass (1 h)
}

BOOST_AUTO_TEST_CASE(stop_on_the_first_evaluation_after_the_zero_lag_sample_leaves_the_broker_window) {
  pipeline p(20ms, 3);
  // Commits 10, 20, 30 at 0, 10, 20 s, each caught up with the log end.
  for (int i = 1; i <= 3; ++i) {
    p.clk.set(t0 + (i - 1) * 10'000);
    p.broker(i * 10);
    p.commit("g", i * 10, p.clk.wall_ms(), i);
  }
  BOOST_REQUIRE(run_until(p.ioc, [&] { return p.status_is("g", status_code::ok) && p.lag_is("g", 0); }, 5s));
  // The consumer stops; the log grows. Stopped by the clock, but the log-end sample 30 (= the
  // newest commit) is still in the 3-sample broker window: Burrow #303 keeps it OK.
  p.clk.set(t0 + 100'000);
  p.broker(40);
  BOOST_REQUIRE(run_until(p.ioc, [&] { return p.lag_is("g", 10); }, 5s));
  BOOST_TEST(p.status_is("g", status_code::ok));
  p.broker(50);
  BOOST_REQUIRE(run_until(p.ioc, [&] { return p.lag_is("g", 20); }, 5s));
  BOOST_TEST(p.status_is("g", status_code::ok));
  p.broker(60);  // 30 leaves the window: STOP on this evaluation, no pass needed
  BOOST_TEST(run_until(p.ioc, [&] { return p.partition_is("g", status_code::stop); }, 5s));
  BOOST_TEST(p.status_is("g", status_code::err));
  BOOST_TEST(p.lag_is("g", 30));
  BOOST_TEST(p.evaluator->stats().passes == 0u);
}

BOOST_AUTO_TEST_CASE(stop_from_the_clock_alone_comes_from_the_pass) {
  pipeline p(20ms, 3);
  p.broker(10);
  p.commit("g", 10, t0, 1);
  p.clk.set(t0 + 10'000);
  p.broker(20);
  p.commit("g", 20, p.clk.wall_ms(), 2);
  p.broker(30);
  p.broker(40);
  p.broker(50);  // lag 30, no sample at or below 20 left
  BOOST_REQUIRE(run_until(p.ioc, [&] { return p.lag_is("g", 30); }, 5s));
  BOOST_TEST(!p.partition_is("g", status_code::stop));  // committed 0 s ago: not stopped
  p.clk.set(t0 + 60'000);  // 50 s since the last commit > the 10 s the window spans
  p.evaluator->pass_now();
  BOOST_TEST(p.partition_is("g", status_code::stop));
}

BOOST_AUTO_TEST_CASE(a_storm_past_the_budget_waits_for_the_tick) {
  pipeline p(400ms);
  p.broker(100);
  store_cmd::batch b{"c", {}};
  for (int g = 0; g < 300; ++g)  // more than the window's budget of 256 evaluations
    b.commands.emplace_back(store_cmd::commit{.group = group_name{"s" + std::to_string(g)},
                                              .topic = topic_name{"t"},
                                              .partition = partition_id{0},
                                              .offset = offset_t{90},
                                              .order = g,
                                              .timestamp = timestamp_ms{t0}});
  auto began = std::chrono::steady_clock::now();
  p.send(std::move(b));
  BOOST_REQUIRE(run_until(p.ioc, [&] { return p.evaluator->size() == 300; }, 5s));
  BOOST_TEST_MESSAGE("the storm's first flush after " << to_ms(std::chrono::steady_clock::now() - began) << " ms");
  began = std::chrono::steady_clock::now();
  p.commit("s0", 95, t0 + 1000, 1000);  // within the spent window
  BOOST_REQUIRE(run_until(p.ioc, [&] { return p.lag_is("s0", 5); }, 5s));
  auto trailing = std::chrono::steady_clock::now() - began;
  BOOST_TEST_MESSAGE("the change after the storm took " << to_ms(trailing) << " ms");
  BOOST_TEST((trailing >= 300ms));
  BOOST_TEST(p.evaluator->stats().flushes == 2u);
}

BOOST_AUTO_TEST_CASE(removal_is_published_and_the_status_forgotten) {
  pipeline p;
  p.broker(10);
  p.commit("g", 10, t0, 1);
  BOOST_REQUIRE(run_until(p.ioc, [&] { return p.status("g").has_value() && !p.events.empty(); }, 5s));
  BOOST_TEST((p.events.back().previous == status_code::notfound));
  store_cmd::batch b{"c", {}};
  b.commands.emplace_back(store_cmd::delete_group{.group = group_name{"g"}});
  BOOST_REQUIRE(p.store->try_send(std::move(b)));
  BOOST_TEST(run_until(p.ioc, [&] { return !p.status("g"); }, 5s));
  BOOST_TEST(run_until(p.ioc, [&] { return p.events.size() == 2; }, 5s));
  BOOST_TEST((p.events.back().previous == status_code::ok));
  BOOST_TEST(p.evaluator->stats().removals == 1u);
}

// core/ready_gate over the real counters: batches handed to the store when the "readers" were
// ready, then stored, then evaluated. When the gate opens every group of those batches has a kept
// status (a gate on the store alone, or on a flush begun rather than done, would open earlier).
BOOST_AUTO_TEST_CASE(ready_gate_opens_once_the_handed_batches_are_stored_and_evaluated) {
  pipeline p(20ms);
  p.broker(1000);
  for (int part = 0; part < 4; ++part) {
    store_cmd::batch b{"c", {}};
    for (int g = 0; g < 2500; ++g)
      b.commands.emplace_back(store_cmd::commit{.group = group_name{"r" + std::to_string(part * 2500 + g)},
                                                .topic = topic_name{"t"},
                                                .partition = partition_id{0},
                                                .offset = offset_t{900},
                                                .order = part * 2500 + g,
                                                .timestamp = timestamp_ms{t0}});
    p.send(std::move(b));
  }
  ready_gate gate;
  auto inputs = [&] {
    const auto& ss = p.store->stats();
    const auto& es = p.evaluator->stats();
    return ready_gate::inputs{true, ss.batches_received, ss.batches_done, es.flushes, es.flushes_done, es.dirty};
  };
  // The "readers" are ready once their sends went through (offsets_reader awaits each one): the
  // broker's batch and the four.
  BOOST_REQUIRE(run_until(p.ioc, [&] { return p.store->stats().batches_received == 5u; }, 5s));
  std::size_t kept_when_open = 0;
  BOOST_REQUIRE(run_until(p.ioc, [&] {
    if (!gate.update(inputs())) return false;
    kept_when_open = p.evaluator->size();
    return true;
  }, 30s));
  BOOST_TEST(kept_when_open == 10000u);
  BOOST_TEST(p.store->stats().batches_done == 5u);
  BOOST_TEST(p.evaluator->stats().flushes_done == p.evaluator->stats().flushes);
}

BOOST_AUTO_TEST_CASE(ten_thousand_dirty_groups_are_flushed_in_short_slices) {
  pipeline p(20ms);
  p.broker(1000);
  store_cmd::batch b{"c", {}};
  for (int g = 0; g < 10000; ++g)
    b.commands.emplace_back(store_cmd::commit{.group = group_name{"g" + std::to_string(g)},
                                              .topic = topic_name{"t"},
                                              .partition = partition_id{0},
                                              .offset = offset_t{900},
                                              .order = g,
                                              .timestamp = timestamp_ms{t0}});
  p.send(std::move(b));
  BOOST_REQUIRE(run_until(p.ioc, [&] { return p.evaluator->size() == 10000; }, 30s));
  const double longest = p.evaluator->stats().longest_slice_seconds;
  BOOST_TEST_MESSAGE("longest flush slice at 10 000 dirty groups: " << longest * 1000 << " ms");
  BOOST_TEST(longest < 0.05);  // a generous bound for a shared Debug/sanitizer machine; budget is 2 ms
  // One log-end change marks all 10 000 consumers dirty again (per-topic index).
  p.broker(1100);
  BOOST_TEST(run_until(p.ioc, [&] { return p.lag_is("g9999", 200); }, 30s));
}

BOOST_AUTO_TEST_CASE(a_store_fault_restarts_it_and_the_batch_is_applied_after_the_restart) {
  pipeline p;
  p.broker(10);
  BOOST_REQUIRE(run_until(p.ioc, [&] { return p.store->stats().batches == 1; }, 5s));
  BOOST_REQUIRE(p.sup.inject_fault("offset_store", "-"));
  p.commit("g", 10, t0, 1);
  BOOST_TEST(run_until(p.ioc, [&] { return p.status("g").has_value(); }, 5s));
  // The supervisor marks the store up when its loop runs again, which may come a turn after the
  // batch it re-applied reached the evaluator: wait for it.
  auto restarted_once = [&] {
    for (const auto& a : p.sup.snapshot())
      if (a.actor == "offset_store") return a.restarts == 1 && a.up;
    return false;
  };
  BOOST_TEST(run_until(p.ioc, restarted_once, 5s));
  for (const auto& a : p.sup.snapshot())
    if (a.actor == "offset_store") BOOST_TEST(a.restarts == 1u);
  BOOST_TEST(p.store->stats().batches_poisoned == 0u);
}

BOOST_AUTO_TEST_CASE(an_evaluator_fault_restarts_it_and_dirty_groups_survive) {
  pipeline p;
  p.broker(10);
  p.commit("g", 10, t0, 1);
  BOOST_REQUIRE(run_until(p.ioc, [&] { return p.status("g").has_value(); }, 5s));
  BOOST_REQUIRE(p.sup.inject_fault("group_evaluator", "-"));
  p.commit("g", 10, t0 + 1000, 2);
  p.broker(25);
  BOOST_TEST(run_until(p.ioc, [&] { return p.lag_is("g", 15); }, 5s));
  std::uint64_t restarts = 0;
  for (const auto& a : p.sup.snapshot())
    if (a.actor == "group_evaluator") restarts = a.restarts;
  BOOST_TEST(restarts == 1u);
}

// Issue 12: while a cluster's offsets are first replayed the app holds it; its changed groups are
// counted as waiting, evaluated neither on change nor by the pass, and all evaluated on release.
BOOST_AUTO_TEST_CASE(a_held_cluster_is_evaluated_when_released_not_on_every_change) {
  pipeline p;
  p.evaluator->hold("c");
  BOOST_TEST(p.evaluator->held("c"));
  p.broker(100);
  p.commit("a", 90, t0, 1);
  p.commit("b", 80, t0, 2);
  p.commit("a", 95, t0 + 1000, 3);
  BOOST_REQUIRE(run_until(p.ioc, [&] { return p.store->stats().batches_done == 4u; }, 5s));
  BOOST_TEST(p.evaluator->stats().held_marks >= 3u);
  BOOST_TEST(p.evaluator->stats().dirty == 2u);  // a and b, each once
  p.evaluator->pass_now();
  BOOST_TEST(p.evaluator->size() == 0u);
  BOOST_TEST(!p.status("a"));
  BOOST_TEST(p.events.empty());
  p.evaluator->release("c");
  BOOST_TEST(!p.evaluator->held("c"));
  BOOST_TEST(run_until(p.ioc, [&] { return p.lag_is("a", 5) && p.lag_is("b", 20); }, 5s));
  BOOST_TEST(p.evaluator->stats().dirty == 0u);
  // Evaluated once each from their final state: one event per group, none for a's first commit.
  BOOST_TEST(run_until(p.ioc, [&] { return p.events.size() == 2u; }, 5s));
  // Released: a change is evaluated at once again.
  p.commit("b", 100, t0 + 2000, 4);
  BOOST_TEST(run_until(p.ioc, [&] { return p.lag_is("b", 0); }, 5s));
}

// The app releases a cluster when its sources have caught up, with the store's received-batch
// count as the barrier: what they handed may still be in the store's mailbox, and is held too.
BOOST_AUTO_TEST_CASE(a_release_waits_for_the_batches_handed_to_the_store_before_it) {
  pipeline p;
  p.evaluator->hold("c");
  for (int i = 0; i < 3; ++i) {  // handed, not applied: the io_context has not run since
    store_cmd::batch b{"c", {}};
    b.commands.emplace_back(store_cmd::broker_offsets{
        .topic = topic_name{"t"}, .partition_count = 1, .offsets = {100 + i}, .observed_at = timestamp_ms{t0}});
    b.commands.emplace_back(store_cmd::commit{.group = group_name{"a"},
                                              .topic = topic_name{"t"},
                                              .partition = partition_id{0},
                                              .offset = offset_t{90 + i},
                                              .order = i,
                                              .timestamp = timestamp_ms{t0 + i}});
    BOOST_REQUIRE(p.store->try_send(std::move(b)));
  }
  const auto handed = p.store->stats().batches_received;
  BOOST_REQUIRE(p.store->stats().batches_done < handed);
  p.evaluator->release("c", handed);
  BOOST_TEST(p.evaluator->held("c"));  // until the store has finished them
  BOOST_TEST(run_until(p.ioc, [&] { return p.lag_is("a", 10); }, 5s));
  BOOST_TEST(!p.evaluator->held("c"));
  BOOST_TEST(p.evaluator->stats().held_marks >= 3u);  // every batch's change was held
  BOOST_TEST(p.events.size() == 1u);                  // and the group evaluated once, from the last
  BOOST_TEST(p.evaluator->stats().evaluations == 1u);
}

// A hold that outlasts its flush period (a long replay, or one stuck behind an outage) still lets
// statuses through: the changes read so far are evaluated once the period is over, and the pass
// covers the cluster again.
BOOST_AUTO_TEST_CASE(a_long_hold_evaluates_what_it_has_once_per_flush_period) {
  pipeline p;
  const auto began = std::chrono::steady_clock::now();
  p.evaluator->hold("c", 300ms);
  p.broker(100);
  p.commit("a", 90, t0, 1);
  BOOST_REQUIRE(run_until(p.ioc, [&] { return p.store->stats().batches_done == 2u; }, 5s));
  if (std::chrono::steady_clock::now() - began < 300ms) {  // a slow machine may be past it already
    BOOST_TEST(!p.status("a"));
    BOOST_TEST(p.evaluator->stats().dirty == 1u);
  }
  // The period runs out (a deadline, not a guess: nothing is due before it).
  run_until(p.ioc, [&] { return std::chrono::steady_clock::now() - began >= 300ms; }, 5s);
  p.commit("b", 80, t0, 2);  // the next change moves both waiting groups to evaluation
  BOOST_TEST(run_until(p.ioc, [&] { return p.lag_is("a", 10) && p.lag_is("b", 20); }, 5s));
  BOOST_TEST(p.evaluator->held("c"));
  p.clk.set(t0 + 600'000);  // the clock alone: the pass judges the held cluster again
  p.evaluator->pass_now();
  BOOST_TEST(p.partition_is("a", status_code::stop));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace warren
