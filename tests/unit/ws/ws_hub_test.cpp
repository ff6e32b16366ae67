// The hub's sliced snapshots, driven without sockets: a subscription over many kept groups is
// matched in slices and sent as numbered parts; changes during the scan keep the stream's order
// guarantee (a change is delivered after the part that holds its group, never before it).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <set>
#include <string>
#include <vector>

#include "service/core/actor.hpp"
#include "service/core/feed.hpp"
#include "service/evaluator/group_evaluator.hpp"
#include "service/storage/offset_store.hpp"
#include "service/ws/ws_hub.hpp"
#include "tests/support/io_fixture.hpp"

namespace warren::ws {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;
const std::vector<std::string> clusters{"local"};

std::string group_name_of(int i) {
  char b[16];
  std::snprintf(b, sizeof b, "g%05d", i);
  return b;
}

struct sliced_hub {
  explicit sliced_hub(int groups) {
    // Kept statuses for `groups` groups, through the real store and evaluator.
    store_cmd::batch b{"local", {}};
    b.commands.emplace_back(store_cmd::broker_offsets{.topic = topic_name{"t"},
                                                      .partition_count = 1,
                                                      .offsets = {100},
                                                      .observed_at = timestamp_ms{clock::system().wall_ms()}});
    for (int g = 0; g < groups; ++g)
      b.commands.emplace_back(store_cmd::commit{.group = group_name{group_name_of(g)},
                                                .topic = topic_name{"t"},
                                                .partition = partition_id{0},
                                                .offset = offset_t{90},
                                                .order = g,
                                                .timestamp = timestamp_ms{clock::system().wall_ms()}});
    store.set_sink(evaluator.inbox());
    store.apply_now(b);
    evaluator.flush_now();
    BOOST_REQUIRE(evaluator.size() == static_cast<std::size_t>(groups));
    hub.start();
    // The hub takes the evaluator's announcements of those groups (no client yet): run every
    // ready handler until none is left, so the tests start from a quiet hub.
    while (ioc.poll() != 0) {
    }
  }
  ~sliced_hub() {
    bool done = false;
    asio::co_spawn(ioc, hub.stop(), [&](std::exception_ptr) { done = true; });
    test::run_until(ioc, [&] { return done; }, 5s);
  }
  std::vector<json::value> drain(ws_client& c) {
    std::vector<json::value> out;
    while (!c.outbox.empty()) {
      auto e = c.outbox.take_front();
      out.push_back(json::parse(message_head(e.type, ++c.seq) + e.text_body()));
      hub.note_sent();
    }
    return out;
  }

  boost::asio::io_context ioc;
  supervisor sup;
  feed<cluster_event> cluster_changes;
  offset_store store{ioc.get_executor(), sup, storage_options{}, clusters};
  group_evaluator evaluator{ioc.get_executor(), sup, store, evaluator_options{}, 10ms, 1h};
  ws_hub hub{ioc.get_executor(), sup, evaluator, cluster_changes, clusters, [] {
               hub_options o;
               o.slice_budget = std::chrono::microseconds(0);  // every 16 groups
               o.snapshot_part_bytes = 2000;
               return o;
             }(), nullptr};
};

std::string_view type_of(const json::value& v) { return v.at("type").as_string(); }
}  // namespace

BOOST_AUTO_TEST_SUITE(ws_hub_snapshots)

BOOST_AUTO_TEST_CASE(a_large_snapshot_is_sent_in_numbered_parts_in_group_order) {
  sliced_hub h(500);
  ws_client c(h.hub, [] {});
  h.hub.on_text(c, R"({"type":"subscribe","id":"all","detail":"summary","pattern":"^g0"})");
  std::vector<json::value> got;
  bool last = false;
  BOOST_REQUIRE(test::run_until(
      h.ioc,
      [&] {
        for (auto& m : h.drain(c)) {
          last = last || (type_of(m) == "snapshot" && m.at("last").as_bool());
          got.push_back(std::move(m));
        }
        return last;
      },
      5s));
  BOOST_TEST(type_of(got.at(0)) == "hello");
  std::vector<std::string> groups;
  std::int64_t expected_part = 0;
  for (std::size_t i = 1; i < got.size(); ++i) {
    BOOST_REQUIRE(type_of(got[i]) == "snapshot");
    BOOST_TEST(got[i].at("id").as_string() == "all");
    BOOST_TEST(got[i].at("part").as_int64() == expected_part++);
    BOOST_TEST(got[i].at("last").as_bool() == (i + 1 == got.size()));
    for (const auto& s : got[i].at("statuses").as_array()) groups.emplace_back(s.at("group").as_string());
  }
  BOOST_TEST(expected_part > 5);  // really sliced
  BOOST_REQUIRE(groups.size() == 500u);
  for (int g = 0; g < 500; ++g) BOOST_TEST(groups[static_cast<std::size_t>(g)] == group_name_of(g));
  BOOST_TEST(h.hub.stats().snapshot_slices > 5u);
  BOOST_TEST(h.hub.stats().snapshot_parts == static_cast<std::uint64_t>(expected_part));
}

BOOST_AUTO_TEST_CASE(changes_during_a_sliced_snapshot_follow_the_part_holding_their_group) {
  sliced_hub h(500);
  ws_client c(h.hub, [] {});
  h.hub.on_text(c, R"({"type":"subscribe","id":"all","detail":"summary"})");
  // The first slice ran inside the subscribe: some groups are in a queued part, most are not.
  auto first = h.drain(c);
  BOOST_REQUIRE(first.size() >= 2u);
  std::size_t scanned = 0;
  for (std::size_t i = 1; i < first.size(); ++i) {
    BOOST_REQUIRE(type_of(first[i]) == "snapshot");
    BOOST_TEST(!first[i].at("last").as_bool());
    scanned += first[i].at("statuses").as_array().size();
  }
  BOOST_REQUIRE(scanned > 0u);
  BOOST_REQUIRE(scanned < 400u);
  // A scanned group changes: sent now, after its part. A group not scanned yet changes: it is not
  // sent on its own; its part (later) carries its state.
  const auto* early = h.evaluator.status("local", group_name_of(0));
  const auto* late = h.evaluator.status("local", group_name_of(450));
  h.hub.on_change(group_status_changed{early->cluster, early->group, early, status_code::ok});
  h.hub.on_change(group_status_changed{late->cluster, late->group, late, status_code::ok});
  auto next = h.drain(c);
  BOOST_REQUIRE(next.size() == 1u);
  BOOST_TEST(type_of(next[0]) == "status");
  BOOST_TEST(next[0].at("group").as_string() == group_name_of(0));
  // The rest of the snapshot; then changes of any group are sent again.
  std::multiset<std::string> in_snapshot;
  std::vector<std::string> statuses_after;
  bool last = false;
  BOOST_REQUIRE(test::run_until(
      h.ioc,
      [&] {
        for (auto& m : h.drain(c)) {
          if (type_of(m) == "snapshot") {
            BOOST_TEST(!last);
            last = m.at("last").as_bool();
            for (const auto& s : m.at("statuses").as_array()) in_snapshot.emplace(s.at("group").as_string());
          } else {
            statuses_after.emplace_back(m.at("group").as_string());
          }
        }
        return last;
      },
      5s));
  BOOST_TEST(statuses_after.empty());
  BOOST_TEST(in_snapshot.count(group_name_of(450)) == 1u);
  BOOST_TEST(in_snapshot.size() + scanned == 500u);
  h.hub.on_change(group_status_changed{late->cluster, late->group, late, status_code::ok});
  auto after = h.drain(c);
  BOOST_REQUIRE(after.size() == 1u);
  BOOST_TEST(after[0].at("group").as_string() == group_name_of(450));
}

BOOST_AUTO_TEST_CASE(unsubscribe_or_disconnect_during_a_sliced_snapshot_ends_it) {
  sliced_hub h(500);
  {
    ws_client gone(h.hub, [] {});
    h.hub.on_text(gone, R"({"type":"subscribe","id":"a"})");
  }  // disconnected mid-snapshot
  ws_client c(h.hub, [] {});
  h.hub.on_text(c, R"({"type":"subscribe","id":"a","detail":"summary"})");
  h.hub.on_text(c, R"({"type":"unsubscribe","id":"a"})");
  auto before = h.hub.stats().snapshot_slices;
  // The loop has nothing left to do: a ping is answered, no further part arrives.
  h.hub.on_text(c, R"({"type":"ping","id":"p"})");
  std::vector<std::string> types;
  BOOST_REQUIRE(test::run_until(
      h.ioc,
      [&] {
        for (auto& m : h.drain(c)) {
          BOOST_TEST(!(type_of(m) == "snapshot" && m.at("last").as_bool()));
          types.emplace_back(type_of(m));
        }
        return !types.empty() && types.back() == "pong";
      },
      5s));
  // hello, the parts of the first slice, then the acknowledgement and the pong.
  BOOST_REQUIRE(types.size() >= 4u);
  BOOST_TEST(types.front() == "hello");
  for (std::size_t i = 1; i + 2 < types.size(); ++i) BOOST_TEST(types[i] == "snapshot");
  BOOST_TEST(types[types.size() - 2] == "unsubscribed");
  h.ioc.poll();
  BOOST_TEST(h.hub.stats().snapshot_slices == before);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace warren::ws
