// The actor skeleton: supervision (restart with backoff, counted), fault injection, stop; the
// feed's per-subscriber queues (coalescing, exception isolation); the mailbox's try_send bound.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/test/unit_test.hpp>
#include <stdexcept>

#include "service/core/actor.hpp"
#include "service/core/clock.hpp"
#include "service/core/feed.hpp"
#include "service/core/mailbox.hpp"
#include "tests/support/io_fixture.hpp"

namespace warren {
namespace {
using namespace std::chrono_literals;
using test::run_until;

supervision_options fast() {
  supervision_options o;
  o.initial_backoff = 1ms;
  o.max_backoff = 8ms;
  return o;
}

struct event {
  std::string k;
  int value = 0;
  int merged = 0;
  std::string key() const { return k; }
  void merge(event&& newer) {
    value = newer.value;
    ++merged;
  }
};

BOOST_AUTO_TEST_SUITE(actor_skeleton)

BOOST_AUTO_TEST_CASE(a_loop_that_throws_is_restarted_with_capped_backoff_and_counted) {
  asio::io_context ioc;
  supervisor sup(fast());
  actor a(ioc.get_executor(), sup, "thing", "local", clock::system());
  int runs = 0;
  asio::steady_timer idle(ioc);
  a.add_loop("work", [&]() -> task<void> {
    ++runs;
    if (runs <= 5) throw std::runtime_error("boom " + std::to_string(runs));
    idle.expires_after(1h);
    co_await idle.async_wait(use_nothrow);
  });
  a.on_interrupt([&] { idle.cancel(); });
  a.start();
  BOOST_REQUIRE(run_until(ioc, [&] { return runs == 6; }, 5s));
  BOOST_TEST(a.health().restarts == 5u);
  BOOST_TEST(a.health().last_error == "boom 5");
  BOOST_TEST(a.health().up);
  auto snap = sup.snapshot();
  BOOST_REQUIRE(snap.size() == 1u);
  BOOST_TEST(snap[0].actor == "thing");
  BOOST_TEST(snap[0].cluster == "local");
  bool stopped = false;
  asio::co_spawn(ioc, a.stop(), [&](std::exception_ptr) { stopped = true; });
  BOOST_TEST(run_until(ioc, [&] { return stopped; }, 5s));
  BOOST_TEST(runs == 6);
}

BOOST_AUTO_TEST_CASE(an_injected_fault_interrupts_a_waiting_loop_once) {
  asio::io_context ioc;
  supervisor sup(fast());
  actor a(ioc.get_executor(), sup, "poller", "c1", clock::system());
  actor other(ioc.get_executor(), sup, "poller", "c2", clock::system());
  asio::steady_timer idle(ioc);
  int runs = 0;
  a.add_loop("wait", [&]() -> task<void> {
    ++runs;
    while (!a.stopping()) {
      a.checkpoint();
      idle.expires_after(1h);
      co_await idle.async_wait(use_nothrow);
    }
  });
  a.on_interrupt([&] { idle.cancel(); });
  a.start();
  BOOST_REQUIRE(run_until(ioc, [&] { return runs == 1; }, 5s));
  BOOST_TEST(!sup.inject_fault("poller", "nope"));
  BOOST_TEST(sup.inject_fault("poller", "c1"));
  BOOST_REQUIRE(run_until(ioc, [&] { return runs == 2; }, 5s));
  BOOST_TEST(a.health().restarts == 1u);
  BOOST_TEST(a.health().last_error == "injected fault (test)");
  BOOST_TEST(other.health().restarts == 0u);
  ioc.run_for(20ms);
  BOOST_TEST(runs == 2);  // once per request
  bool stopped = false;
  asio::co_spawn(ioc, a.stop(), [&](std::exception_ptr) { stopped = true; });
  BOOST_TEST(run_until(ioc, [&] { return stopped; }, 5s));
}

BOOST_AUTO_TEST_CASE(subscribers_have_their_own_coalescing_queues_and_a_throwing_one_hurts_nobody) {
  asio::io_context ioc;
  supervisor sup(fast());
  feed<event> f;
  actor good_actor(ioc.get_executor(), sup, "good", "", clock::system());
  actor bad_actor(ioc.get_executor(), sup, "bad", "", clock::system());
  std::vector<std::pair<std::string, int>> seen;
  int bad_calls = 0;
  subscriber<event> good(f, ioc.get_executor(), [&](event& e) { seen.emplace_back(e.k, e.value); });
  subscriber<event> bad(f, ioc.get_executor(), [&](event&) {
    ++bad_calls;
    throw std::runtime_error("subscriber bug");
  });
  good_actor.add_loop("drain", [&] { return good.drain(good_actor); });
  bad_actor.add_loop("drain", [&] { return bad.drain(bad_actor); });
  good_actor.on_interrupt([&] { good.interrupt(); });
  bad_actor.on_interrupt([&] { bad.interrupt(); });

  // Queued before anyone drains: a, b, a again (merged into the first a).
  f.publish({"a", 1});
  f.publish({"b", 2});
  f.publish({"a", 3});
  BOOST_TEST(good.queued() == 2u);
  BOOST_TEST(good.stats().coalesced == 1u);
  good_actor.start();
  bad_actor.start();
  BOOST_REQUIRE(run_until(ioc, [&] { return seen.size() == 2 && bad_calls == 2; }, 5s));
  BOOST_TEST(seen[0].first == "a");
  BOOST_TEST(seen[0].second == 3);  // the newest value, in the first one's place
  BOOST_TEST(seen[1].first == "b");
  f.publish({"c", 4});
  BOOST_REQUIRE(run_until(ioc, [&] { return seen.size() == 3 && bad_calls == 3; }, 5s));
  BOOST_TEST(bad.stats().failures == 3u);
  BOOST_TEST(bad_actor.health().restarts == 3u);  // counted, the loop kept going
  BOOST_TEST(good_actor.health().restarts == 0u);
  bool done = false;
  asio::co_spawn(
      ioc,
      [&]() -> task<void> {
        co_await good_actor.stop();
        co_await bad_actor.stop();
      },
      [&](std::exception_ptr) { done = true; });
  BOOST_TEST(run_until(ioc, [&] { return done; }, 5s));
}

BOOST_AUTO_TEST_CASE(mailbox_try_send_refuses_when_full_and_send_waits) {
  asio::io_context ioc;
  mailbox<int> box(ioc.get_executor(), 2);
  int a = 1, b = 2, c = 3;
  BOOST_TEST(box.try_send(a));
  BOOST_TEST(box.try_send(b));
  BOOST_TEST(!box.try_send(c));
  BOOST_TEST(box.queued() == 2u);
  bool sent = false;
  asio::co_spawn(ioc, [&]() -> task<void> { sent = co_await box.send(4); }, asio::detached);
  ioc.run_for(10ms);
  BOOST_TEST(!sent);  // suspended: the mailbox is full
  std::vector<int> got;
  asio::co_spawn(
      ioc,
      [&]() -> task<void> {
        for (int i = 0; i < 3; ++i)
          if (auto v = co_await box.receive()) got.push_back(*v);
      },
      asio::detached);
  BOOST_REQUIRE(run_until(ioc, [&] { return got.size() == 3; }, 5s));
  BOOST_TEST(sent);
  BOOST_TEST((got == std::vector<int>{1, 2, 4}));
  box.close();
  BOOST_TEST(!box.try_send(c));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace warren
