// core/ready_gate (issue 14): READY waits, in order, for the readers, for the store to finish the
// batches it had received when they were ready, and for the evaluator to finish the flushes that
// hold the groups those batches changed; then it stays READY.
#include <boost/test/unit_test.hpp>

#include "service/core/ready_gate.hpp"

namespace warren {
namespace {
using phase = ready_gate::phase;
}

BOOST_AUTO_TEST_SUITE(ready_gate_suite)

BOOST_AUTO_TEST_CASE(waits_for_the_store_then_the_evaluator_then_latches) {
  ready_gate g;
  ready_gate::inputs in;
  in.store_received = 40;
  in.store_done = 10;
  BOOST_TEST(!g.update(in));  // readers still replaying
  BOOST_TEST((g.current() == phase::readers));

  in.readers_ready = true;
  in.store_received = 50;  // the barrier: what the readers handed over
  in.store_done = 30;
  BOOST_TEST(!g.update(in));
  BOOST_TEST((g.current() == phase::store));
  in.store_received = 60;  // later traffic does not move the barrier
  in.store_done = 49;
  BOOST_TEST(!g.update(in));

  in.store_done = 50;
  in.flushes_started = 7;  // flush 7 in progress, and groups waiting for flush 8
  in.flushes_done = 6;
  in.dirty = 3;
  BOOST_TEST(!g.update(in));
  BOOST_TEST((g.current() == phase::evaluator));
  in.flushes_done = 7;  // the one in progress is not enough
  in.flushes_started = 8;
  in.dirty = 0;
  BOOST_TEST(!g.update(in));
  in.flushes_done = 8;
  BOOST_TEST(g.update(in));
  BOOST_TEST((g.current() == phase::ready));

  in.readers_ready = false;  // a later rebalance or outage does not take READY back
  in.dirty = 100;
  in.flushes_started = 20;
  BOOST_TEST(g.update(in));
}

BOOST_AUTO_TEST_CASE(ready_at_once_when_nothing_is_pending) {
  ready_gate g;
  ready_gate::inputs in;
  in.readers_ready = true;
  in.store_received = in.store_done = 12;
  in.flushes_started = in.flushes_done = 3;
  BOOST_TEST(g.update(in));
}

BOOST_AUTO_TEST_CASE(a_flush_in_progress_without_dirty_groups_is_waited_for) {
  ready_gate g;
  ready_gate::inputs in;
  in.readers_ready = true;
  in.store_received = in.store_done = 5;
  in.flushes_started = 4;
  in.flushes_done = 3;  // flush 4 took the replay's last groups and is still evaluating them
  BOOST_TEST(!g.update(in));
  in.flushes_done = 4;
  BOOST_TEST(g.update(in));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace warren
